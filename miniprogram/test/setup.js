// Per-test environment: a fresh mock `wx`, and failures for what would
// otherwise go unnoticed — exceptions in event handlers (exparser only logs
// them with console.error), unhandled promise rejections, and requests to
// routes the test did not declare.
const { createWx } = require('./helpers/wx')

let errors = []
const realError = console.error
const onRejection = reason => { errors.push('unhandled rejection: ' + (reason && reason.stack || reason)) }

beforeAll(() => {
  process.on('unhandledRejection', onRejection)
})
afterAll(() => {
  process.removeListener('unhandledRejection', onRejection)
})

beforeEach(() => {
  errors = []
  console.error = (...args) => {
    errors.push(args.map(a => (a && a.stack) || String(a)).join(' '))
    realError(...args)
  }
  global.mock = createWx()
  global.wx = global.mock.wx
})

afterEach(async () => {
  // Let callbacks still queued by the test run before judging.
  await new Promise(resolve => setTimeout(resolve, 0))
  console.error = realError
  const problems = errors.slice()
  if (global.mock && global.mock.unmatched.length) {
    problems.push('requests without a route: ' + global.mock.unmatched.join(', '))
  }
  if (problems.length) throw new Error(problems.join('\n'))
})
