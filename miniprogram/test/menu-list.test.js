const { mount, flush, text, tap } = require('./helpers/sim')
const fx = require('./helpers/fixtures')
const auth = require('../utils/auth')

// GET /instruments answering `total` instruments in pages of `size`,
// numbered from `from`; the query is recorded by the mock.
function pagedInstruments(total, extra, from = 1) {
  return req => {
    const page = Number(req.query.page || 1)
    const size = Number(req.query.size || 15)
    const start = (page - 1) * size
    const count = Math.max(0, Math.min(size, total - start))
    return { items: fx.instruments(from + start, count, extra), total, page, size }
  }
}

function list(props) {
  return mount('components/menu-list/index', props)
}

async function open(props) {
  const comp = list(props)
  await flush()
  return comp
}

function rows(comp) {
  return comp.querySelectorAll('.ml-item__title').map(t => t.dom.textContent)
}

function check(comp, index) {
  tap(comp.querySelectorAll('.ml-item__check')[index])
}

beforeEach(() => {
  auth.setSession('tok', fx.user)
})

describe('menus', () => {
  test.each([
    ['instruments', ['全部仪器', '须检仪器', '超期未检', '无效仪器', '不合格', '已报废']],
    ['filings', ['待备案', '已提交', '被退回', '待处理', '待确认', '已审核', '被撤销', '已停用']],
    ['bookings', ['预约检定', '待处理列表', '预约中', '已确认', '被拒绝', '被退回', '历史查询']],
  ])('%s shows the web platform menus', async (group, titles) => {
    mock.route('GET', '/instruments', { items: [], total: 0 })
    mock.route('GET', '/bookings', { items: [], total: 0 })
    const comp = await open({ group })
    expect(comp.querySelectorAll('.ml-menu__item').map(m => m.dom.textContent)).toEqual(titles)
    expect(comp.querySelector('.ml-menu__item_on').dom.textContent).toBe(titles[0])
  })

  test.each([
    ['instruments', 'all', 'GET /instruments', { view: 'all' }],
    ['instruments', 'due', 'GET /instruments', { view: 'due' }],
    ['instruments', 'overdue', 'GET /instruments', { view: 'overdue' }],
    ['instruments', 'invalid', 'GET /instruments', { view: 'invalid' }],
    ['instruments', 'unqualified', 'GET /instruments', { view: 'unqualified' }],
    ['instruments', 'scrapped', 'GET /instruments', { view: 'scrapped' }],
    ['filings', 'unfiled', 'GET /instruments', { filing: 'unfiled' }],
    ['filings', 'submitted', 'GET /instruments', { filing: 'submitted' }],
    ['filings', 'returned', 'GET /instruments', { filing: 'returned' }],
    ['filings', 'pending', 'GET /instruments', { filing: 'pending' }],
    ['filings', 'confirming', 'GET /instruments', { filing: 'confirming' }],
    ['filings', 'approved', 'GET /instruments', { filing: 'approved' }],
    ['filings', 'revoked', 'GET /instruments', { filing: 'revoked' }],
    ['filings', 'stopped', 'GET /instruments', { filing: 'stopped' }],
    ['bookings', 'book', 'GET /instruments', { view: 'due' }],
    ['bookings', 'pendingList', 'GET /booking/pending', {}],
    ['bookings', 'pending', 'GET /bookings', { status: 'pending' }],
    ['bookings', 'confirmed', 'GET /bookings', { status: 'confirmed' }],
    ['bookings', 'rejected', 'GET /bookings', { status: 'rejected' }],
    ['bookings', 'returned', 'GET /bookings', { status: 'returned' }],
    ['bookings', 'history', 'GET /bookings', { status: 'history' }],
  ])('%s → %s asks %s with %o', async (group, menu, call, query) => {
    mock.route('GET', '/instruments', { items: [], total: 0 })
    mock.route('GET', '/bookings', { items: [], total: 0 })
    mock.route('GET', '/booking/pending', { items: [] })
    const comp = await open({ group, menu })
    expect(mock.requests.map(r => `${r.method} ${r.path}`)).toEqual([call])
    const paged = call === 'GET /booking/pending' ? {} : { page: '1', size: '15' }
    expect(mock.requests[0].query).toEqual(Object.assign({}, query, paged))
    expect(comp.querySelector('.ml-menu__item_on').dom.textContent).toBe(comp.data.menuTitle)
  })

  test('tapping a menu switches the list', async () => {
    mock.route('GET', '/instruments', req => ({ items: [fx.instrument(1, { name: req.query.filing === 'returned' ? '被退回的秤' : '待备案的秤' })], total: 1 }))
    const comp = await open({ group: 'filings' })
    expect(rows(comp)).toEqual(['待备案的秤'])
    tap(comp.querySelectorAll('.ml-menu__item')[2])
    await flush()
    expect(comp.data.menuKey).toBe('returned')
    expect(rows(comp)).toEqual(['被退回的秤'])
    expect(mock.requests.map(r => r.query.filing)).toEqual(['unfiled', 'returned'])
  })

  test('预约检定 lists the bookable views as filters', async () => {
    mock.route('GET', '/instruments', { items: [], total: 0 })
    const comp = await open({ group: 'bookings' })
    expect(comp.querySelectorAll('.ml-chip').map(c => c.dom.textContent)).toEqual(['须检仪器', '超期未检', '不合格'])
    tap(comp.querySelectorAll('.ml-chip')[1])
    await flush()
    tap(comp.querySelectorAll('.ml-chip')[2])
    await flush()
    expect(mock.requests.map(r => r.query.view)).toEqual(['due', 'overdue', 'unqualified'])
    expect(comp.querySelector('.ml-chip_on').dom.textContent).toBe('不合格')
  })

  test('a late answer for a menu already left is dropped', async () => {
    let release
    mock.route('GET', '/instruments', req => {
      if (req.query.view === 'all') return new Promise(resolve => { release = () => resolve({ items: fx.instruments(1, 3), total: 3 }) })
      return { items: [fx.instrument(9, { name: '须检的秤' })], total: 1 }
    })
    const comp = list({ group: 'instruments' })
    await flush()
    tap(comp.querySelectorAll('.ml-menu__item')[1])
    await flush()
    release()
    await flush()
    expect(comp.data.menuKey).toBe('due')
    expect(rows(comp)).toEqual(['须检的秤'])
  })
})

describe('list area', () => {
  test('shows name, model, factory number and status tags', async () => {
    mock.route('GET', '/instruments', {
      items: [fx.instrument(1, { filingStatus: 'returned', filingStatusName: '被退回', returnReason: '资料不完整', tags: ['一号仓'], life: 'stopped', lifeName: '已停用', booked: true })],
      total: 1,
    })
    const comp = await open({ group: 'instruments' })
    const t = text(comp)
    expect(t).toContain('电子台秤 1')
    expect(t).toContain('型号规格：TCS-1')
    expect(t).toContain('出厂编号：F0001')
    expect(t).toContain('原因：资料不完整')
    expect(comp.querySelectorAll('.weui-tag').map(x => x.dom.textContent)).toEqual(['被退回', '已停用', '预约中', '一号仓'])
    expect(comp.querySelector('.weui-tag_danger').dom.textContent).toBe('被退回')
    expect(t).toContain('共 1 台')
  })

  test('pages by 15 and loads more at the bottom until all are shown', async () => {
    mock.route('GET', '/instruments', pagedInstruments(20))
    const comp = await open({ group: 'instruments' })
    expect(rows(comp)).toHaveLength(15)
    expect(text(comp)).toContain('共 20 台')
    expect(text(comp)).not.toContain('没有更多了')
    comp.querySelector('#list').dispatchEvent('scrolltolower')
    await flush()
    expect(rows(comp)).toHaveLength(20)
    expect(rows(comp)[19]).toBe('电子台秤 20')
    expect(mock.requests.map(r => r.query.page)).toEqual(['1', '2'])
    expect(text(comp)).toContain('没有更多了')
    comp.querySelector('#list').dispatchEvent('scrolltolower')
    await flush()
    expect(mock.requests).toHaveLength(2)
  })

  test('does not ask twice for the same page while one is loading', async () => {
    mock.route('GET', '/instruments', pagedInstruments(40))
    const comp = await open({ group: 'instruments' })
    comp.querySelector('#list').dispatchEvent('scrolltolower')
    comp.querySelector('#list').dispatchEvent('scrolltolower')
    await flush()
    expect(mock.requests.map(r => r.query.page)).toEqual(['1', '2'])
    expect(rows(comp)).toHaveLength(30)
  })

  test('pull-to-refresh reloads the first page and replaces the list', async () => {
    let from = 1
    mock.route('GET', '/instruments', req => pagedInstruments(20, {}, from)(req))
    const comp = await open({ group: 'instruments' })
    comp.querySelector('#list').dispatchEvent('scrolltolower')
    await flush()
    check(comp, 0)
    await flush()
    expect(comp.data.selectedCount).toBe(1)
    from = 101
    comp.querySelector('#list').dispatchEvent('refresherrefresh')
    await flush()
    expect(mock.requests.map(r => r.query.page)).toEqual(['1', '2', '1'])
    expect(rows(comp)).toHaveLength(15)
    expect(rows(comp)[0]).toBe('电子台秤 101')
    expect(comp.data.refreshing).toBe(false)
    expect(comp.data.selectedCount).toBe(0)
  })

  test('an empty list says so', async () => {
    mock.route('GET', '/instruments', { items: [], total: 0 })
    const comp = await open({ group: 'instruments' })
    expect(comp.querySelector('.ml-none').dom.textContent).toBe('暂无仪器')
  })

  test('a failed load can be retried', async () => {
    let fail = true
    mock.route('GET', '/instruments', () => (fail ? { status: 500, data: { code: 'INTERNAL', message: '服务器内部错误' } } : { items: fx.instruments(1, 2), total: 2 }))
    const comp = await open({ group: 'instruments' })
    expect(mock.lastToast()).toBe('服务器内部错误')
    expect(comp.querySelector('.ml-error').dom.textContent).toBe('加载失败，点击重试')
    fail = false
    tap(comp, '.ml-error')
    await flush()
    expect(rows(comp)).toEqual(['电子台秤 1', '电子台秤 2'])
  })

  test('logged out, it offers the login instead of calling the API', async () => {
    auth.clearSession()
    const comp = await open({ group: 'filings' })
    expect(mock.requests).toEqual([])
    expect(text(comp)).toContain('登录后查看备案管理')
    tap(comp, '.login-btn')
    await flush()
    expect(wx.switchTab).toHaveBeenCalledWith({ url: '/pages/me/index' })
  })

  test('loads again when its page is shown again, but not during the first load', async () => {
    let total = 3
    mock.route('GET', '/instruments', req => pagedInstruments(total)(req))
    const comp = list({ group: 'instruments' })
    comp.triggerPageLifeTime('show')
    await flush()
    expect(mock.requests).toHaveLength(1)
    total = 4
    comp.triggerPageLifeTime('show')
    await flush()
    expect(mock.requests).toHaveLength(2)
    expect(rows(comp)).toHaveLength(4)
  })

  test('shown again after logging in elsewhere, it loads', async () => {
    auth.clearSession()
    mock.route('GET', '/instruments', pagedInstruments(2))
    const comp = await open({ group: 'instruments' })
    expect(comp.querySelector('.login-btn')).toBeTruthy()
    auth.setSession('tok', fx.user)
    comp.triggerPageLifeTime('show')
    await flush()
    expect(rows(comp)).toHaveLength(2)
    expect(comp.querySelector('.login-btn')).toBeUndefined()
  })

  test('tapping an instrument opens its detail; a booking opens the booking', async () => {
    mock.route('GET', '/instruments', pagedInstruments(2))
    mock.route('GET', '/bookings', { items: [fx.booking(7)], total: 1 })
    const a = await open({ group: 'instruments' })
    tap(a.querySelectorAll('.ml-item__bd')[1])
    await flush()
    const b = await open({ group: 'bookings', menu: 'confirmed' })
    expect(text(b)).toContain('预约单 YY000007')
    expect(text(b)).toContain('广州计量检测技术研究院 · 送检')
    expect(text(b)).toContain('预约时间：2030-05-06 09:00-11:30')
    tap(b.querySelector('.ml-item__bd'))
    await flush()
    expect(mock.navigatedTo()).toEqual(['/pages/instrument/index?id=i2', '/pages/booking/index?id=b7'])
  })
})

describe('operations button', () => {
  test.each([
    ['instruments', 'all', ['停用', '报废', '删除']],
    ['instruments', 'due', ['加入待处理']],
    ['instruments', 'overdue', ['加入待处理', '停用']],
    ['instruments', 'invalid', ['停用']],
    ['instruments', 'unqualified', ['加入待处理', '停用']],
    ['filings', 'unfiled', ['提交备案', '删除']],
    ['filings', 'submitted', ['撤销备案']],
    ['filings', 'returned', ['提交备案', '删除']],
    ['filings', 'revoked', ['停用', '报废']],
    ['filings', 'stopped', ['启用', '报废']],
    ['bookings', 'book', ['加入待处理', '预约']],
    ['bookings', 'pendingList', ['移出', '预约']],
    ['bookings', 'pending', ['取消预约']],
  ])('%s → %s offers %j, on the selected items and as swipe buttons', async (group, menu, texts) => {
    mock.route('GET', '/instruments', pagedInstruments(3))
    mock.route('GET', '/booking/pending', { items: fx.instruments(1, 3) })
    mock.route('GET', '/bookings', { items: [fx.booking(1), fx.booking(2)], total: 2 })
    const comp = await open({ group, menu })
    check(comp, 0)
    await flush()
    tap(comp, '.ml-bar__op')
    await flush()
    expect(mock.ui.sheets).toEqual([texts])
    const swipe = comp.querySelector('.ml-row').querySelectorAll('.swipe__btn').map(b => b.dom.textContent)
    expect(swipe).toEqual(texts)
    // Dismissing the sheet does nothing.
    expect(mock.requests.filter(r => r.method !== 'GET')).toEqual([])
  })

  test.each([
    ['instruments', 'scrapped'],
    ['filings', 'pending'],
    ['filings', 'confirming'],
    ['filings', 'approved'],
    ['bookings', 'confirmed'],
    ['bookings', 'rejected'],
    ['bookings', 'returned'],
    ['bookings', 'history'],
  ])('%s → %s is read only: no checkboxes, no 操作, no swipe', async (group, menu) => {
    mock.route('GET', '/instruments', pagedInstruments(2))
    mock.route('GET', '/bookings', { items: [fx.booking(1)], total: 1 })
    const comp = await open({ group, menu })
    expect(rows(comp).length).toBeGreaterThan(0)
    expect(comp.querySelector('.ml-item__check')).toBeUndefined()
    expect(comp.querySelector('.ml-bar__op')).toBeUndefined()
    expect(comp.querySelector('.ml-row').querySelectorAll('.swipe__btn')).toEqual([])
  })

  test('asks to select first', async () => {
    mock.route('GET', '/instruments', pagedInstruments(3))
    const comp = await open({ group: 'instruments' })
    tap(comp, '.ml-bar__op')
    await flush()
    expect(mock.ui.sheets).toEqual([])
    expect(mock.lastToast()).toBe('请先勾选仪器')
  })

  test('全选 selects every loaded row and toggles back', async () => {
    mock.route('GET', '/instruments', pagedInstruments(4))
    const comp = await open({ group: 'instruments' })
    tap(comp, '.ml-bar__all')
    await flush()
    expect(comp.data.selectedCount).toBe(4)
    expect(text(comp)).toContain('已选 4 台')
    check(comp, 2)
    await flush()
    expect(comp.data.allSelected).toBe(false)
    tap(comp, '.ml-bar__all')
    await flush()
    tap(comp, '.ml-bar__all')
    await flush()
    expect(comp.data.selectedCount).toBe(0)
  })

  test('停用 in 全部仪器: confirm, batch stop of the selected, report, reload', async () => {
    mock.route('GET', '/instruments', pagedInstruments(3))
    mock.route('POST', '/instruments/batch', req => ({ done: req.data.ids.length, failed: [] }))
    const comp = await open({ group: 'instruments' })
    check(comp, 0)
    check(comp, 2)
    await flush()
    mock.answerSheet(0)
    mock.answerModal(true)
    tap(comp, '.ml-bar__op')
    await flush()
    expect(mock.ui.modals[0].title).toBe('停用')
    expect(mock.ui.modals[0].content).toContain('2 台仪器')
    expect(mock.sent('POST', '/instruments/batch').map(r => r.data)).toEqual([{ action: 'stop', ids: ['i1', 'i3'] }])
    expect(mock.lastToast()).toBe('已停用 2 台仪器')
    expect(mock.sent('GET', '/instruments')).toHaveLength(2)
    expect(comp.data.selectedCount).toBe(0)
  })

  test('nothing is sent when the confirmation is cancelled', async () => {
    mock.route('GET', '/instruments', pagedInstruments(3))
    const comp = await open({ group: 'instruments' })
    check(comp, 1)
    await flush()
    mock.answerSheet(2)
    mock.answerModal(false)
    tap(comp, '.ml-bar__op')
    await flush()
    expect(mock.ui.modals[0].title).toBe('删除')
    expect(mock.ui.modals[0].content).toContain('删除后不能恢复')
    expect(mock.sent('POST', '/instruments/batch')).toEqual([])
    expect(comp.data.selectedCount).toBe(1)
  })

  test('instruments a batch could not change are listed with the reason', async () => {
    mock.route('GET', '/instruments', pagedInstruments(3))
    mock.route('POST', '/instruments/batch', {
      done: 1,
      failed: [
        { id: 'i2', label: '电子台秤 2（F0002）', message: '已备案或备案审核中的仪器不能删除' },
        { id: 'i3', label: '电子台秤 3（F0003）', message: '仪器已在预约单中，请先取消预约' },
      ],
    })
    const comp = await open({ group: 'instruments' })
    tap(comp, '.ml-bar__all')
    await flush()
    mock.answerSheet(2)
    tap(comp, '.ml-bar__op')
    await flush()
    const result = mock.ui.modals[1]
    expect(result.title).toBe('2 台仪器未能删除')
    expect(result.content).toContain('已删除 1 台仪器')
    expect(result.content).toContain('电子台秤 2（F0002）：已备案或备案审核中的仪器不能删除')
    expect(result.content).toContain('电子台秤 3（F0003）：仪器已在预约单中，请先取消预约')
    expect(result.showCancel).toBe(false)
  })

  test('启用 in 已停用 needs no confirmation', async () => {
    mock.route('GET', '/instruments', pagedInstruments(2, { life: 'stopped', lifeName: '已停用' }))
    mock.route('POST', '/instruments/batch', { done: 1, failed: [] })
    const comp = await open({ group: 'filings', menu: 'stopped' })
    check(comp, 1)
    await flush()
    mock.answerSheet(0)
    tap(comp, '.ml-bar__op')
    await flush()
    expect(mock.ui.modals).toEqual([])
    expect(mock.sent('POST', '/instruments/batch')[0].data).toEqual({ action: 'enable', ids: ['i2'] })
    expect(mock.lastToast()).toBe('已启用 1 台仪器')
  })

  test('撤销备案 in 已提交 withdraws the filings', async () => {
    mock.route('GET', '/instruments', pagedInstruments(2, { filingStatus: 'submitted', filingStatusName: '已提交' }))
    mock.route('POST', '/filings/withdraw', { done: 2, failed: [] })
    const comp = await open({ group: 'filings', menu: 'submitted' })
    tap(comp, '.ml-bar__all')
    await flush()
    mock.answerSheet(0)
    mock.answerModal(true)
    tap(comp, '.ml-bar__op')
    await flush()
    expect(mock.sent('POST', '/filings/withdraw')[0].data).toEqual({ ids: ['i1', 'i2'] })
    expect(mock.lastToast()).toBe('已撤销 2 台仪器的备案')
    expect(mock.sent('GET', '/instruments')).toHaveLength(2)
  })

  test('提交备案 in 待备案 goes through the filing dialog', async () => {
    mock.route('GET', '/instruments', pagedInstruments(2))
    mock.route('POST', '/filings/options', {
      institutions: [{ id: 'inst-440100', name: '广州计量检测技术研究院', canVerifyAll: true, missingCategories: [] }],
      needTypeCert: [],
    })
    mock.route('POST', '/filings', { batchId: 'fb1', done: 2, failed: [] })
    const comp = await open({ group: 'filings', menu: 'unfiled' })
    tap(comp, '.ml-bar__all')
    await flush()
    mock.answerSheet(0)
    tap(comp, '.ml-bar__op')
    await flush()
    const dialog = comp.querySelector('#filing')
    expect(mock.sent('POST', '/filings/options')[0].data).toEqual({ ids: ['i1', 'i2'] })
    expect(text(dialog)).toContain('本次计量器具将备案至：广州计量检测技术研究院')
    tap(dialog, '.statement')
    await flush()
    tap(dialog, '.submit')
    await flush()
    expect(mock.sent('POST', '/filings')[0].data).toEqual({ ids: ['i1', 'i2'], institutionId: 'inst-440100', statement: true, transfer: false })
    expect(mock.lastToast()).toBe('已提交 2 台仪器的备案')
    expect(mock.sent('GET', '/instruments')).toHaveLength(2)
    expect(dialog.querySelector('.weui-half-screen-dialog')).toBeUndefined()
  })

  test('加入待处理 in 预约检定 puts the selected on the pending list', async () => {
    mock.route('GET', '/instruments', pagedInstruments(3, { filingStatus: 'approved', filingStatusName: '已审核' }))
    mock.route('POST', '/booking/pending', {})
    const comp = await open({ group: 'bookings', menu: 'book' })
    check(comp, 0)
    check(comp, 1)
    await flush()
    mock.answerSheet(0)
    tap(comp, '.ml-bar__op')
    await flush()
    expect(mock.sent('POST', '/booking/pending')[0].data).toEqual({ ids: ['i1', 'i2'] })
    expect(mock.lastToast()).toBe('已将 2 台仪器加入待处理列表')
  })

  test('加入待处理 names the instruments the pending list refused', async () => {
    mock.route('GET', '/instruments', pagedInstruments(3))
    mock.route('POST', '/booking/pending', { failed: [{ id: 'i3', label: '电子台秤 3（F0003）', message: '只有备案已审核的仪器可以预约（当前：待备案）' }] })
    const comp = await open({ group: 'instruments', menu: 'due' })
    tap(comp, '.ml-bar__all')
    await flush()
    mock.answerSheet(0)
    tap(comp, '.ml-bar__op')
    await flush()
    expect(mock.ui.modals[0].title).toBe('1 台仪器未能加入待处理')
    expect(mock.ui.modals[0].content).toContain('已将 2 台仪器加入待处理列表')
    expect(mock.ui.modals[0].content).toContain('电子台秤 3（F0003）：只有备案已审核的仪器可以预约（当前：待备案）')
  })

  test('预约 in 预约检定 adds to the pending list, then opens booking creation', async () => {
    mock.route('GET', '/instruments', pagedInstruments(3))
    mock.route('POST', '/booking/pending', {})
    const comp = await open({ group: 'bookings', menu: 'book' })
    check(comp, 2)
    await flush()
    mock.answerSheet(1)
    tap(comp, '.ml-bar__op')
    await flush()
    expect(mock.sent('POST', '/booking/pending')[0].data).toEqual({ ids: ['i3'] })
    expect(mock.navigatedTo()).toEqual(['/pages/booking-create/index?ids=i3'])
  })

  test('预约 goes on with the instruments the pending list accepted, naming the others', async () => {
    mock.route('GET', '/instruments', pagedInstruments(3))
    mock.route('POST', '/booking/pending', { done: 1, failed: [{ id: 'i1', label: '电子台秤 1（F0001）', message: '仪器已在预约单中，请先取消预约' }] })
    const comp = await open({ group: 'bookings', menu: 'book' })
    check(comp, 0)
    check(comp, 1)
    await flush()
    mock.answerSheet(1)
    tap(comp, '.ml-bar__op')
    await flush()
    expect(mock.ui.modals[0].title).toBe('1 台仪器未能加入待处理')
    expect(mock.ui.modals[0].content).toContain('电子台秤 1（F0001）：仪器已在预约单中，请先取消预约')
    expect(mock.navigatedTo()).toEqual(['/pages/booking-create/index?ids=i2'])
  })

  test('待处理列表 lists the server pending list; 移出 and 预约 act on it', async () => {
    let pending = fx.instruments(1, 3)
    mock.route('GET', '/booking/pending', () => ({ items: pending }))
    mock.route('POST', '/booking/pending/remove', req => {
      pending = pending.filter(p => !req.data.ids.includes(p.id))
      return {}
    })
    const comp = await open({ group: 'bookings', menu: 'pendingList' })
    expect(rows(comp)).toEqual(['电子台秤 1', '电子台秤 2', '电子台秤 3'])
    expect(text(comp)).toContain('没有更多了')
    check(comp, 1)
    await flush()
    mock.answerSheet(0)
    tap(comp, '.ml-bar__op')
    await flush()
    expect(mock.sent('POST', '/booking/pending/remove')[0].data).toEqual({ ids: ['i2'] })
    expect(rows(comp)).toEqual(['电子台秤 1', '电子台秤 3'])
    tap(comp, '.ml-bar__all')
    await flush()
    mock.answerSheet(1)
    tap(comp, '.ml-bar__op')
    await flush()
    // Already on the pending list: no second POST, straight to booking.
    expect(mock.sent('POST', '/booking/pending')).toEqual([])
    expect(mock.navigatedTo()).toEqual(['/pages/booking-create/index?ids=i1,i3'])
  })

  test('取消预约 in 预约中 cancels each selected booking and reports failures', async () => {
    mock.route('GET', '/bookings', { items: [fx.booking(1), fx.booking(2)], total: 2 })
    mock.route('POST', '/bookings/b1/cancel', { booking: fx.booking(1, { status: 'cancelled' }) })
    mock.route('POST', '/bookings/b2/cancel', { status: 409, data: { code: 'CONFLICT', message: '预约已确认，不能取消' } })
    const comp = await open({ group: 'bookings', menu: 'pending' })
    expect(text(comp)).toContain('共 2 张')
    tap(comp, '.ml-bar__all')
    await flush()
    mock.answerSheet(0)
    mock.answerModal(true)
    tap(comp, '.ml-bar__op')
    await flush()
    expect(mock.ui.modals[0].content).toBe('确定取消选中的 2 张预约单？')
    expect(mock.sent('POST', '/bookings/b1/cancel')).toHaveLength(1)
    expect(mock.sent('POST', '/bookings/b2/cancel')).toHaveLength(1)
    const result = mock.ui.modals[1]
    expect(result.title).toBe('1 张预约单未能取消')
    expect(result.content).toContain('预约单 YY000002：预约已确认，不能取消')
    // Individual failures are reported together, not as separate toasts.
    expect(mock.ui.toasts).toEqual([])
    expect(mock.sent('GET', '/bookings')).toHaveLength(2)
  })
})

describe('swipe actions', () => {
  async function swipeOpen(row) {
    const root = row.querySelector('.swipe')
    root.dispatchEvent('touchstart', { touches: [{ x: 300, y: 10 }] })
    root.dispatchEvent('touchmove', { touches: [{ x: 100, y: 10 }] })
    root.dispatchEvent('touchend', { changedTouches: [{ x: 100, y: 10 }] })
    await flush()
  }

  test('a row button acts on that row only', async () => {
    mock.route('GET', '/instruments', pagedInstruments(3))
    mock.route('POST', '/instruments/batch', { done: 1, failed: [] })
    const comp = await open({ group: 'filings', menu: 'unfiled' })
    check(comp, 0)
    await flush()
    const row = comp.querySelectorAll('.ml-row')[2]
    await swipeOpen(row)
    expect(comp.data.swipeOpen).toBe('i3')
    mock.answerModal(true)
    tap(row.querySelector('.swipe__btn_red'))
    await flush()
    expect(mock.ui.modals[0].content).toContain('1 台仪器')
    expect(mock.sent('POST', '/instruments/batch')[0].data).toEqual({ action: 'delete', ids: ['i3'] })
    expect(comp.data.swipeOpen).toBe('')
  })

  test('opening one row closes the other, and a tap while open only closes', async () => {
    mock.route('GET', '/instruments', pagedInstruments(3))
    const comp = await open({ group: 'instruments' })
    const [first, second] = comp.querySelectorAll('.ml-row')
    await swipeOpen(first)
    await swipeOpen(second)
    expect(comp.data.swipeOpen).toBe('i2')
    expect(first.data.offset).toBe(0)
    expect(second.data.offset).toBe(-216)
    tap(comp.querySelectorAll('.ml-item__bd')[0])
    await flush()
    expect(comp.data.swipeOpen).toBe('')
    expect(second.data.offset).toBe(0)
    expect(wx.navigateTo).not.toHaveBeenCalled()
  })

  test('预约 on a 预约中 booking row cancels just that booking', async () => {
    mock.route('GET', '/bookings', { items: [fx.booking(1), fx.booking(2)], total: 2 })
    mock.route('POST', '/bookings/b2/cancel', {})
    const comp = await open({ group: 'bookings', menu: 'pending' })
    const row = comp.querySelectorAll('.ml-row')[1]
    await swipeOpen(row)
    tap(row.querySelector('.swipe__btn'))
    await flush()
    expect(mock.sent('POST', '/bookings/b2/cancel')).toHaveLength(1)
    expect(mock.lastToast()).toBe('已取消 1 张预约单')
  })
})

describe('pages hosting the menus', () => {
  test.each([
    ['pages/instruments/index', { view: 'all' }],
    ['pages/filings/index', { filing: 'unfiled' }],
    ['pages/bookings/index', { view: 'due' }],
  ])('tab %s opens on its first menu', async (page, query) => {
    mock.route('GET', '/instruments', { items: [], total: 0 })
    mount(page)
    await flush()
    expect(mock.requests[0].query).toEqual(Object.assign({ page: '1', size: '15' }, query))
  })

  test('the list page opened from a count shows that menu', async () => {
    mock.route('GET', '/instruments', pagedInstruments(2, { life: 'stopped', lifeName: '已停用' }))
    const page = mount('pages/list/index')
    page.instance.onLoad({ group: 'filings', menu: 'stopped' })
    await flush()
    expect(mock.requests[0].query.filing).toBe('stopped')
    expect(wx.setNavigationBarTitle).toHaveBeenCalledWith({ title: '备案管理' })
    expect(page.querySelector('#menu').data.menuKey).toBe('stopped')
  })

  test('the list page falls back to the first menu of a known group', async () => {
    mock.route('GET', '/instruments', { items: [], total: 0 })
    const page = mount('pages/list/index')
    page.instance.onLoad({ group: 'nope', menu: 'nope' })
    await flush()
    expect(mock.requests[0].query.view).toBe('all')
  })
})
