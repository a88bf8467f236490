// 我 (manual 八): the login entry when logged out (微信登录, 手机号登录,
// 账号密码登录), otherwise the user, the applicant and the home page counts,
// each opening its list.
const { api, toastError } = require('../../utils/request')
const auth = require('../../utils/auth')
const wxp = require('../../utils/wxp')

// Count cards, in the order of the web platform's home page. `value` reads
// GET /me counts; group/menu name the list a tap opens (utils/menus.js).
const SECTIONS = [
  {
    title: '仪器',
    cards: [
      { key: 'total', label: '仪器总数', value: c => c.total, group: 'instruments', menu: 'all' },
      { key: 'due', label: '须检', value: c => c.due, group: 'instruments', menu: 'due' },
      { key: 'overdue', label: '超期未检', value: c => c.overdue, group: 'instruments', menu: 'overdue' },
      { key: 'invalid', label: '无效', value: c => c.invalid, group: 'instruments', menu: 'invalid' },
      { key: 'unqualified', label: '不合格', value: c => c.unqualified, group: 'instruments', menu: 'unqualified' },
      { key: 'scrapped', label: '已报废', value: c => c.scrapped, group: 'instruments', menu: 'scrapped' },
    ],
  },
  {
    title: '备案与预约',
    cards: [
      { key: 'unfiled', label: '待备案', value: c => c.filing.unfiled, group: 'filings', menu: 'unfiled' },
      { key: 'approved', label: '已备案', value: c => c.filing.approved, group: 'filings', menu: 'approved' },
      { key: 'returned', label: '备案退回', value: c => c.filing.returned, group: 'filings', menu: 'returned' },
      { key: 'stopped', label: '已停用', value: c => c.stopped, group: 'filings', menu: 'stopped' },
      { key: 'booking', label: '预约中', value: c => c.booking, group: 'bookings', menu: 'pending' },
    ],
  },
]

const CARDS = {}
SECTIONS.forEach(s => s.cards.forEach(c => { CARDS[c.key] = c }))

function sectionsOf(counts) {
  const c = Object.assign({ filing: {} }, counts)
  c.filing = c.filing || {}
  return SECTIONS.map(s => ({
    title: s.title,
    cards: s.cards.map(card => {
      const v = card.value(c)
      return { key: card.key, label: card.label, value: typeof v === 'number' ? v : 0 }
    }),
  }))
}

function initial(name) {
  return name ? String(name).slice(0, 1) : '我'
}

Component({
  data: {
    loggedIn: false,
    user: null,
    avatarText: '',
    sections: sectionsOf({}),
    showPassword: false,
    account: '',
    password: '',
    busy: '',
  },
  methods: {
    onShow() {
      return this.refresh()
    },

    // Reads the session from storage and, when there is one, GET /me.
    async refresh() {
      if (!auth.isLoggedIn()) {
        this.setData({ loggedIn: false, user: null })
        return
      }
      const cached = auth.getUser()
      this.setData({ loggedIn: true, user: cached, avatarText: initial(cached && cached.name) })
      try {
        const res = await api.get('/me')
        auth.setUser(res.user)
        this.setData({ user: res.user, avatarText: initial(res.user && res.user.name), sections: sectionsOf(res.counts) })
      } catch (err) {
        if (err.status === 403) {
          // The account may no longer use the mini program (not an approved
          // applicant): the stored session is useless.
          auth.clearSession()
        }
        this.setData({ loggedIn: auth.isLoggedIn() })
        if (err.name !== 'ApiError') throw err
      }
    },

    async afterLogin(res) {
      auth.setSession(res.token, res.user)
      this.setData({ password: '', showPassword: false })
      wx.showToast({ title: '登录成功', icon: 'success' })
      await this.refresh()
    },

    async onWechatLogin() {
      if (this.data.busy) return
      this.setData({ busy: 'wechat' })
      try {
        const code = await wxp.loginCode()
        if (!code) {
          wxp.toast('微信登录失败，请稍后再试')
          return
        }
        const res = await api.post('/login/wechat', { code }, { auth: false, silent: true })
        await this.afterLogin(res)
      } catch (err) {
        if (err.name !== 'ApiError') throw err
        if (err.code === 'NOT_BOUND') {
          wx.showModal({
            title: '微信号未绑定',
            content: '当前微信号尚未绑定平台账号。请先在平台网页端扫码绑定微信登录，或在“广东计量强检”公众号中绑定账号；也可以使用手机号或账号密码登录。',
            showCancel: false,
            confirmText: '知道了',
          })
        } else {
          toastError(err)
        }
      } finally {
        this.setData({ busy: '' })
      }
    },

    // open-type="getPhoneNumber": WeChat gives a one-time code for the phone
    // number, which the server exchanges; the login code lets it remember
    // this WeChat account as well.
    async onPhoneNumber(e) {
      const code = e && e.detail && e.detail.code
      if (!code) {
        wxp.toast('未获取到手机号，请改用其他方式登录')
        return
      }
      if (this.data.busy) return
      this.setData({ busy: 'phone' })
      try {
        const loginCode = await wxp.loginCode()
        const res = await api.post('/login/phone', { code, loginCode }, { auth: false })
        await this.afterLogin(res)
      } catch (err) {
        if (err.name !== 'ApiError') throw err
      } finally {
        this.setData({ busy: '' })
      }
    },

    onShowPassword() {
      this.setData({ showPassword: true })
    },
    onAccountInput(e) {
      this.setData({ account: e.detail.value })
    },
    onPasswordInput(e) {
      this.setData({ password: e.detail.value })
    },

    async onPasswordLogin() {
      if (this.data.busy) return
      const account = String(this.data.account || '').trim()
      const password = String(this.data.password || '')
      if (!account) {
        wxp.toast('请输入账号')
        return
      }
      if (!password) {
        wxp.toast('请输入密码')
        return
      }
      this.setData({ busy: 'password' })
      try {
        const loginCode = await wxp.loginCode()
        const res = await api.post('/login/password', { account, password, loginCode }, { auth: false })
        await this.afterLogin(res)
      } catch (err) {
        if (err.name !== 'ApiError') throw err
      } finally {
        this.setData({ busy: '' })
      }
    },

    onCountTap(e) {
      const card = CARDS[e.currentTarget.dataset.key]
      if (!card) return
      wx.navigateTo({ url: `/pages/list/index?group=${card.group}&menu=${card.menu}` })
    },

    onCertificates() {
      wx.navigateTo({ url: '/pages/certificates/index' })
    },

    async onLogout() {
      const ok = await wxp.showModal({ title: '退出登录', content: '确定退出当前账号？', confirmText: '退出', confirmColor: '#FA5151' })
      if (!ok) return
      try {
        await api.post('/logout', {}, { silent: true, loading: '正在退出' })
      } catch (err) {
        // Logging out must work offline too: the local session goes anyway
        // and the server's one expires on its own.
        if (err.name !== 'ApiError') throw err
      }
      auth.clearSession()
      this.setData({ loggedIn: false, user: null, sections: sectionsOf({}) })
      wxp.toast('已退出登录')
    },
  },
})
