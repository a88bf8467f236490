// Unit and page tests run in jsdom with miniprogram-simulate; the e2e suite
// (test/e2e) starts the real Go server itself.
module.exports = {
  testEnvironment: 'jsdom',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.js'],
  setupFilesAfterEnv: ['<rootDir>/test/setup.js'],
  // One wcc compile per test file is the slow part; 2 workers fit the
  // 2-core machines of this project.
  maxWorkers: 2,
  testTimeout: 15000,
}
