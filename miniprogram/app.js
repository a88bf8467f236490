// 广东省计量强制检定管理平台 — 微信小程序（申请方）. Everything an applicant
// does here goes through the JSON API (utils/request.js); the app itself
// keeps no state beyond the login session in storage.
App({
  onLaunch() {
    // A new version published while the user keeps the mini program open
    // applies on the next start; asking is WeChat's recommended practice.
    if (!wx.getUpdateManager) return
    const um = wx.getUpdateManager()
    um.onUpdateReady(() => {
      wx.showModal({
        title: '更新提示',
        content: '新版本已经准备好，是否重启小程序？',
        success: res => {
          if (res.confirm) um.applyUpdate()
        },
      })
    })
  },
})
