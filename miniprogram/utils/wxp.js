// Promise wrappers over the callback-style wx APIs the app uses, so that the
// same code runs on every base library version (and against the test mocks,
// which implement the callback style only).

function showModal(opts) {
  return new Promise(resolve => {
    wx.showModal(Object.assign({}, opts, {
      success: res => resolve(!!res.confirm),
      fail: () => resolve(false),
    }))
  })
}

// Resolves the tapped index, or -1 when the sheet was dismissed.
function showActionSheet(itemList) {
  return new Promise(resolve => {
    wx.showActionSheet({
      itemList,
      success: res => resolve(res.tapIndex),
      fail: () => resolve(-1),
    })
  })
}

// A login code lets the server remember this WeChat account for 微信登录
// next time; a failing wx.login must not block the other login ways, so it
// resolves '' instead of rejecting.
function loginCode() {
  return new Promise(resolve => {
    wx.login({
      success: res => resolve((res && res.code) || ''),
      fail: () => resolve(''),
    })
  })
}

function toast(title, icon) {
  wx.showToast({ title: String(title), icon: icon || 'none', duration: 2000 })
}

module.exports = { showModal, showActionSheet, loginCode, toast }
