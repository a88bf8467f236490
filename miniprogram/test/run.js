#!/usr/bin/env node
// `npm test`: runs jest (all suites, unit and e2e), then prints one closing
// line "N passed, N failed" that CI reads, and exits non-zero on any failure
// — including a suite that could not run at all (counted as one failure).
const { spawnSync } = require('child_process')
const fs = require('fs')
const os = require('os')
const path = require('path')

const root = path.resolve(__dirname, '..')
const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'qj-mp-jest-')), 'result.json')
const jest = require.resolve('jest/bin/jest')

const res = spawnSync(process.execPath, [jest, '--json', '--outputFile=' + out, ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
  env: process.env,
})

let summary = null
try {
  summary = JSON.parse(fs.readFileSync(out, 'utf8'))
} catch (e) {
  // No result file: jest itself failed to start; reported below.
}
fs.rmSync(path.dirname(out), { recursive: true, force: true })

if (!summary) {
  console.log('\n0 passed, 1 failed')
  process.exit(res.status || 1)
}

const passed = summary.numPassedTests
const failed = summary.numFailedTests + summary.numRuntimeErrorTestSuites
const skipped = summary.numPendingTests + summary.numTodoTests
const seconds = ((Date.now() - summary.startTime) / 1000).toFixed(1)
console.log(`\nminiprogram: ${summary.numTotalTestSuites} suites in ${seconds}s`)
console.log(`${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ''))
process.exit(failed > 0 || res.status !== 0 || passed === 0 ? 1 : 0)
