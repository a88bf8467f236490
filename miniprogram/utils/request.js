// JSON client of the mini program API (/api/mp/v1, see
// miniprogram-api/openapi.yaml). Every call returns a Promise that resolves
// with the parsed body of a 2xx answer and rejects with an ApiError.
const config = require('../config')
const auth = require('./auth')

const NETWORK_MESSAGE = '网络异常，请稍后再试'
const ME_PAGE = '/pages/me/index'

class ApiError extends Error {
  constructor(status, body) {
    const b = body && typeof body === 'object' ? body : {}
    super(b.message || (status ? `请求失败（${status}）` : NETWORK_MESSAGE))
    this.name = 'ApiError'
    this.status = status
    this.code = b.code || (status ? 'HTTP_' + status : 'NETWORK')
    this.fields = Array.isArray(b.fields) ? b.fields : []
    this.body = b
  }
}

// The text a user should read for err: for a form error the first field's
// message says what to fix; otherwise the server's own message.
function errorMessage(err) {
  if (!err) return NETWORK_MESSAGE
  const first = err.fields && err.fields.find(f => f && f.message)
  if (first) return first.message
  return err.message || NETWORK_MESSAGE
}

function toastError(err) {
  wx.showToast({ title: errorMessage(err), icon: 'none', duration: 2500 })
}

function queryString(params) {
  if (!params) return ''
  const parts = []
  Object.keys(params).forEach(k => {
    const v = params[k]
    if (v === undefined || v === null || v === '') return
    parts.push(encodeURIComponent(k) + '=' + encodeURIComponent(String(v)))
  })
  return parts.length ? '?' + parts.join('&') : ''
}

function parseBody(data) {
  if (typeof data !== 'string') return data
  try {
    return JSON.parse(data)
  } catch (e) {
    return { message: '' }
  }
}

// A 401 on an authenticated call means the session is gone (expired, logged
// out elsewhere, server restarted): forget it and send the user to the login
// of the 我 page. Several calls can fail together; only the first one whose
// token is still the stored one does the bounce.
function bounceToLogin(sentToken, err) {
  if (auth.getToken() !== sentToken) return
  auth.clearSession()
  wx.showToast({ title: err.message || '登录已失效，请重新登录', icon: 'none', duration: 2500 })
  wx.switchTab({ url: ME_PAGE })
}

/**
 * request({url, method, data, query, auth, silent, loading})
 *  url      path under the API base, e.g. '/instruments'
 *  query    object turned into the query string
 *  auth     false for the login calls (no token, and a 401 is a wrong
 *           password rather than a lost session)
 *  silent   true: the caller shows the error itself (no toast)
 *  loading  text for wx.showLoading while the call runs
 */
function request(opts) {
  const method = (opts.method || 'GET').toUpperCase()
  const withAuth = opts.auth !== false
  const token = withAuth ? auth.getToken() : ''
  const header = { 'Content-Type': 'application/json', Accept: 'application/json' }
  if (token) header.Authorization = 'Bearer ' + token
  const url = config.apiBase() + opts.url + queryString(opts.query)
  if (opts.loading) wx.showLoading({ title: opts.loading, mask: true })

  return new Promise((resolve, reject) => {
    const fail = err => {
      if (opts.loading) wx.hideLoading()
      if (err.status === 401 && withAuth) {
        bounceToLogin(token, err)
      } else if (!opts.silent) {
        toastError(err)
      }
      reject(err)
    }
    wx.request({
      url,
      method,
      header,
      data: method === 'GET' || method === 'DELETE' ? undefined : JSON.stringify(opts.data || {}),
      dataType: 'json',
      success: res => {
        const body = parseBody(res.data)
        if (res.statusCode >= 200 && res.statusCode < 300) {
          if (opts.loading) wx.hideLoading()
          resolve(body === '' || body === undefined ? {} : body)
          return
        }
        fail(new ApiError(res.statusCode, body))
      },
      fail: () => fail(new ApiError(0, { code: 'NETWORK', message: NETWORK_MESSAGE })),
    })
  })
}

const api = {
  get: (url, query, opts) => request(Object.assign({ url, query, method: 'GET' }, opts)),
  post: (url, data, opts) => request(Object.assign({ url, data, method: 'POST' }, opts)),
  put: (url, data, opts) => request(Object.assign({ url, data, method: 'PUT' }, opts)),
}

module.exports = { request, api, ApiError, errorMessage, toastError, queryString, NETWORK_MESSAGE, ME_PAGE }
