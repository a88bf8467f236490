// Where the mini program finds the JSON API (miniprogram-api/openapi.yaml).
// The default is a local `make run`; a developer points one devtools session
// at another server without editing this file:
//   wx.setStorageSync('apiBase', 'https://qj.example.gov.cn/api/mp/v1')
const DEFAULT_API_BASE = 'http://127.0.0.1:8080/api/mp/v1'

function apiBase() {
  let override = ''
  try {
    override = wx.getStorageSync('apiBase') || ''
  } catch (e) {
    // Storage can fail on a full disk; the default still works.
  }
  return String(override || DEFAULT_API_BASE).replace(/\/+$/, '')
}

module.exports = {
  DEFAULT_API_BASE,
  apiBase,
  pageSize: 15,
}
