// The login session lives in storage so that it survives a restart of the
// mini program; the server ends idle sessions itself (expiresIn).
const TOKEN_KEY = 'token'
const USER_KEY = 'user'

function getToken() {
  try {
    return wx.getStorageSync(TOKEN_KEY) || ''
  } catch (e) {
    return ''
  }
}

function getUser() {
  try {
    return wx.getStorageSync(USER_KEY) || null
  } catch (e) {
    return null
  }
}

function setSession(token, user) {
  wx.setStorageSync(TOKEN_KEY, token)
  wx.setStorageSync(USER_KEY, user || null)
}

function setUser(user) {
  wx.setStorageSync(USER_KEY, user || null)
}

function clearSession() {
  try {
    wx.removeStorageSync(TOKEN_KEY)
    wx.removeStorageSync(USER_KEY)
  } catch (e) {
    // Nothing else to do: the next request without a token gets 401 anyway.
  }
}

function isLoggedIn() {
  return !!getToken()
}

module.exports = { TOKEN_KEY, USER_KEY, getToken, getUser, setSession, setUser, clearSession, isLoggedIn }
