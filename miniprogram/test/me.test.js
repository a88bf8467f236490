const { mount, flush, text, tap, input, attr } = require('./helpers/sim')
const { createWx } = require('./helpers/wx')
const fx = require('./helpers/fixtures')
const auth = require('../utils/auth')

function login(status, data) {
  return req => (status === 200 ? { status, data: Object.assign({ token: 'tok-' + req.path.split('/').pop(), expiresIn: 43200, user: fx.user }, data) } : { status, data })
}

async function openMe() {
  const page = mount('pages/me/index')
  await page.instance.onShow()
  await flush()
  return page
}

beforeEach(() => {
  mock.route('GET', '/me', { user: fx.user, counts: fx.counts })
})

describe('我 page, logged out', () => {
  test('offers the three login ways of the manual', async () => {
    const page = await openMe()
    expect(text(page)).toContain('未登录')
    expect(page.querySelector('.wechat-login').dom.textContent).toBe('微信登录')
    expect(page.querySelector('.phone-login').dom.textContent).toBe('手机号登录')
    expect(page.querySelector('.password-toggle').dom.textContent).toBe('账号密码登录')
    // 手机号登录 must be WeChat's getPhoneNumber button to receive the code.
    expect(attr(page.querySelector('.phone-login'), 'open-type')).toBe('getPhoneNumber')
    expect(mock.requests).toEqual([])
  })

  test('账号密码登录 sends account, password and the wx.login code, stores the token and shows the counts', async () => {
    mock.route('POST', '/login/password', login(200))
    const page = await openMe()
    tap(page, '.password-toggle')
    await flush()
    input(page, '.account', ' demo-applicant ')
    input(page, '.password', 'Demo@12345')
    await flush()
    tap(page, '.password-login')
    await flush()
    const [sent] = mock.sent('POST', '/login/password')
    expect(sent.data).toEqual({ account: 'demo-applicant', password: 'Demo@12345', loginCode: 'wx-login-code' })
    expect(sent.header.Authorization).toBeUndefined()
    expect(mock.storage.get('token')).toBe('tok-password')
    const me = mock.sent('GET', '/me')
    expect(me).toHaveLength(1)
    expect(me[0].header.Authorization).toBe('Bearer tok-password')
    expect(text(page)).toContain('张经理')
    expect(text(page)).toContain('广州示例计量器具使用有限公司')
    expect(page.querySelector('.card-total .me-card__num').dom.textContent).toBe('42')
    expect(mock.ui.toasts).toContain('登录成功')
    // The password does not stay in the page's data after login.
    expect(page.data.password).toBe('')
  })

  test('账号密码登录 asks for what is missing before calling the server', async () => {
    const page = await openMe()
    tap(page, '.password-toggle')
    await flush()
    tap(page, '.password-login')
    await flush()
    expect(mock.lastToast()).toBe('请输入账号')
    input(page, '.account', 'demo-applicant')
    await flush()
    tap(page, '.password-login')
    await flush()
    expect(mock.lastToast()).toBe('请输入密码')
    expect(mock.requests).toEqual([])
  })

  test('a wrong password shows the server message and stays logged out', async () => {
    mock.route('POST', '/login/password', login(401, { code: 'UNAUTHENTICATED', message: '账号或密码错误，还可尝试 4 次' }))
    const page = await openMe()
    tap(page, '.password-toggle')
    await flush()
    input(page, '.account', 'demo-applicant')
    input(page, '.password', 'nope')
    await flush()
    tap(page, '.password-login')
    await flush()
    expect(mock.lastToast()).toBe('账号或密码错误，还可尝试 4 次')
    expect(wx.switchTab).not.toHaveBeenCalled()
    expect(auth.isLoggedIn()).toBe(false)
    expect(page.data.busy).toBe('')
    expect(text(page)).toContain('未登录')
  })

  test('still logs in with the password when wx.login fails', async () => {
    global.mock = createWx({ loginFails: true })
    global.wx = mock.wx
    mock.route('GET', '/me', { user: fx.user, counts: fx.counts })
    mock.route('POST', '/login/password', login(200))
    const page = await openMe()
    tap(page, '.password-toggle')
    await flush()
    input(page, '.account', 'demo-applicant')
    input(page, '.password', 'Demo@12345')
    await flush()
    tap(page, '.password-login')
    await flush()
    expect(mock.sent('POST', '/login/password')[0].data.loginCode).toBe('')
    expect(auth.getToken()).toBe('tok-password')
  })

  test('微信登录 posts the wx.login code and logs in', async () => {
    mock.route('POST', '/login/wechat', login(200))
    const page = await openMe()
    tap(page, '.wechat-login')
    await flush()
    expect(mock.sent('POST', '/login/wechat')[0].data).toEqual({ code: 'wx-login-code' })
    expect(auth.getToken()).toBe('tok-wechat')
    expect(page.querySelector('.card-approved .me-card__num').dom.textContent).toBe('19')
  })

  test('微信登录 of an unbound WeChat account says it is not bound', async () => {
    mock.route('POST', '/login/wechat', { status: 404, data: { code: 'NOT_BOUND', message: '该微信号未绑定平台账号' } })
    const page = await openMe()
    tap(page, '.wechat-login')
    await flush()
    expect(mock.ui.modals).toHaveLength(1)
    expect(mock.ui.modals[0].title).toBe('微信号未绑定')
    expect(mock.ui.modals[0].content).toContain('绑定')
    expect(mock.ui.modals[0].showCancel).toBe(false)
    expect(mock.ui.toasts).toEqual([])
    expect(auth.isLoggedIn()).toBe(false)
    expect(page.data.busy).toBe('')
  })

  test('微信登录 failing otherwise shows the message', async () => {
    mock.route('POST', '/login/wechat', { status: 403, data: { code: 'FORBIDDEN', message: '小程序仅供“申请方”账号使用' } })
    const page = await openMe()
    tap(page, '.wechat-login')
    await flush()
    expect(mock.ui.modals).toEqual([])
    expect(mock.lastToast()).toBe('小程序仅供“申请方”账号使用')
  })

  test('手机号登录 posts the phone code with a login code', async () => {
    mock.route('POST', '/login/phone', login(200))
    const page = await openMe()
    page.querySelector('.phone-login').dispatchEvent('getphonenumber', { detail: { code: 'phone-code-1', errMsg: 'getPhoneNumber:ok' } })
    await flush()
    expect(mock.sent('POST', '/login/phone')[0].data).toEqual({ code: 'phone-code-1', loginCode: 'wx-login-code' })
    expect(auth.getToken()).toBe('tok-phone')
    expect(text(page)).toContain('张经理')
  })

  test('手机号登录 refused by the user calls nothing', async () => {
    const page = await openMe()
    page.querySelector('.phone-login').dispatchEvent('getphonenumber', { detail: { errMsg: 'getPhoneNumber:fail user deny' } })
    await flush()
    expect(mock.requests).toEqual([])
    expect(mock.lastToast()).toBe('未获取到手机号，请改用其他方式登录')
  })

  test('手机号登录 with a number that cannot log in shows why', async () => {
    mock.route('POST', '/login/phone', { status: 404, data: { code: 'NOT_FOUND', message: '该手机号未注册平台账号' } })
    const page = await openMe()
    page.querySelector('.phone-login').dispatchEvent('getphonenumber', { detail: { code: 'c' } })
    await flush()
    expect(mock.lastToast()).toBe('该手机号未注册平台账号')
    expect(auth.isLoggedIn()).toBe(false)
  })
})

describe('我 page, logged in', () => {
  beforeEach(() => {
    auth.setSession('tok', fx.user)
  })

  test('shows every count of GET /me', async () => {
    const page = await openMe()
    const expected = {
      total: 42, approved: 19, returned: 8, unfiled: 11, due: 5, overdue: 3, invalid: 2, unqualified: 1, booking: 6, stopped: 4, scrapped: 7,
    }
    for (const [key, value] of Object.entries(expected)) {
      const num = page.querySelector(`.card-${key} .me-card__num`)
      expect(num ? num.dom.textContent : 'no card ' + key).toBe(String(value))
    }
    const labels = page.querySelectorAll('.me-card__label').map(l => l.dom.textContent)
    expect(labels).toEqual(['仪器总数', '须检', '超期未检', '无效', '不合格', '已报废', '待备案', '已备案', '备案退回', '已停用', '预约中'])
  })

  test.each([
    ['total', 'instruments', 'all'],
    ['due', 'instruments', 'due'],
    ['overdue', 'instruments', 'overdue'],
    ['invalid', 'instruments', 'invalid'],
    ['unqualified', 'instruments', 'unqualified'],
    ['scrapped', 'instruments', 'scrapped'],
    ['unfiled', 'filings', 'unfiled'],
    ['approved', 'filings', 'approved'],
    ['returned', 'filings', 'returned'],
    ['stopped', 'filings', 'stopped'],
    ['booking', 'bookings', 'pending'],
  ])('tapping %s opens the %s list %s', async (key, group, menu) => {
    const page = await openMe()
    tap(page, '.card-' + key)
    await flush()
    expect(mock.navigatedTo()).toEqual([`/pages/list/index?group=${group}&menu=${menu}`])
  })

  test('a lost session (401) bounces back to the login', async () => {
    mock.route('GET', '/me', { status: 401, data: { code: 'UNAUTHENTICATED', message: '登录已过期，请重新登录' } })
    const page = await openMe()
    expect(auth.getToken()).toBe('')
    expect(wx.switchTab).toHaveBeenCalledWith({ url: '/pages/me/index' })
    expect(mock.lastToast()).toBe('登录已过期，请重新登录')
    expect(page.querySelector('.wechat-login')).toBeTruthy()
    expect(text(page)).toContain('未登录')
  })

  test('an account that may not use the mini program (403) is logged out', async () => {
    mock.route('GET', '/me', { status: 403, data: { code: 'FORBIDDEN', message: '您的注册申请尚未审核通过，请在网页端查看审核进度' } })
    const page = await openMe()
    expect(auth.isLoggedIn()).toBe(false)
    expect(mock.lastToast()).toBe('您的注册申请尚未审核通过，请在网页端查看审核进度')
    expect(page.querySelector('.wechat-login')).toBeTruthy()
  })

  test('退出登录 asks, posts /logout and forgets the session', async () => {
    mock.route('POST', '/logout', { ok: true })
    const page = await openMe()
    mock.answerModal(true)
    tap(page, '.logout')
    await flush()
    expect(mock.ui.modals[0].title).toBe('退出登录')
    const [sent] = mock.sent('POST', '/logout')
    expect(sent.header.Authorization).toBe('Bearer tok')
    expect(auth.isLoggedIn()).toBe(false)
    expect(page.querySelector('.wechat-login')).toBeTruthy()
    expect(mock.lastToast()).toBe('已退出登录')
  })

  test('退出登录 cancelled keeps the session', async () => {
    const page = await openMe()
    mock.answerModal(false)
    tap(page, '.logout')
    await flush()
    expect(mock.sent('POST', '/logout')).toEqual([])
    expect(auth.getToken()).toBe('tok')
  })

  test('退出登录 offline still logs out locally', async () => {
    mock.route('POST', '/logout', { network: true })
    const page = await openMe()
    tap(page, '.logout')
    await flush()
    expect(auth.isLoggedIn()).toBe(false)
    expect(page.querySelector('.wechat-login')).toBeTruthy()
  })

  test('证书查询 opens the certificates page', async () => {
    const page = await openMe()
    tap(page, '.certificates')
    await flush()
    expect(mock.navigatedTo()).toEqual(['/pages/certificates/index'])
  })
})
