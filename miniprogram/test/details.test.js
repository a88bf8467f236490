const { mount, flush, text, tap } = require('./helpers/sim')
const fx = require('./helpers/fixtures')
const auth = require('../utils/auth')

beforeEach(() => {
  auth.setSession('tok', fx.user)
})

// label → value of the key/value rows (weui-form-preview items) shown.
function pairs(page) {
  const out = {}
  for (const item of page.querySelectorAll('.weui-form-preview__item')) {
    const [label, value] = item.dom.children
    out[label.textContent] = value.textContent
  }
  return out
}

async function openInstrument(res, query = { id: 'i1' }) {
  mock.route('GET', '/instruments/i1', res)
  const page = mount('pages/instrument/index')
  await page.instance.onLoad(query)
  await flush()
  return page
}

const HISTORY = [
  { at: '2030-03-05T06:30:00Z', user: '张经理', action: '停用', detail: '', changes: [] },
  { at: '2030-03-01T02:00:00Z', user: '张经理', action: '编辑仪器', detail: '', changes: [{ field: 'model', label: '型号规格', from: 'TCS-1', to: 'TCS-1A' }] },
]

describe('instrument detail', () => {
  test('详情 shows the fields of the instrument form', async () => {
    const page = await openInstrument({
      instrument: fx.instrument(1, { category: '061001', categoryName: '非自动衡器', usageName: '贸易结算', regionName: '广东省/广州市/天河区', code: '', tags: ['一号仓', '秤'] }),
      history: [],
    })
    expect(mock.requests[0].path).toBe('/instruments/i1')
    expect(pairs(page)).toMatchObject({
      器具名称: '电子台秤 1',
      型号规格: 'TCS-1',
      出厂编号: 'F0001',
      种别: '061001 非自动衡器',
      器具用途: '贸易结算',
      所属地: '广东省/广州市/天河区',
      器具编码: '—',
      自定义标签: '一号仓 秤',
    })
    expect(Object.keys(pairs(page))).toHaveLength(27)
    expect(wx.setNavigationBarTitle).toHaveBeenCalledWith({ title: '电子台秤 1' })
  })

  test('历史 lists each change, newest first', async () => {
    const page = await openInstrument({ instrument: fx.instrument(1), history: HISTORY })
    expect(page.querySelector('.panel-history')).toBeUndefined()
    tap(page, '.tab-history')
    await flush()
    expect(page.querySelector('.panel-info')).toBeUndefined()
    const items = page.querySelectorAll('.history-item').map(h => h.dom.textContent.replace(/\s+/g, ' '))
    expect(items).toHaveLength(2)
    expect(items[0]).toContain('停用')
    expect(items[0]).toContain('张经理')
    expect(items[1]).toContain('型号规格：TCS-1 → TCS-1A')
  })

  test('证书 says 暂无证书 when the server sends none', async () => {
    const page = await openInstrument({ instrument: fx.instrument(1), history: [] })
    tap(page, '.tab-certs')
    await flush()
    expect(page.querySelector('.no-certs').dom.textContent).toBe('暂无证书')
  })

  test('证书 says 暂无证书 for an empty list and lists certificates when present', async () => {
    const empty = await openInstrument({ instrument: fx.instrument(1), history: [], certificates: [] }, { id: 'i1', tab: 'certs' })
    expect(empty.querySelector('.no-certs').dom.textContent).toBe('暂无证书')

    const page = await openInstrument({
      instrument: fx.instrument(1),
      history: [],
      certificates: [{ number: 'GZJL-2030-0001', resultName: '合格', verifyDate: '2030-03-01', validUntil: '2031-02-28', institutionName: '广州计量检测技术研究院' }],
    }, { id: 'i1', tab: 'certs' })
    expect(page.querySelector('.no-certs')).toBeUndefined()
    expect(page.querySelector('.cert-no').dom.textContent).toBe('GZJL-2030-0001')
    expect(pairs(page)).toMatchObject({ 证书编号: 'GZJL-2030-0001', 检定结果: '合格', 有效期至: '2031-02-28' })
  })

  test('a missing instrument can be retried', async () => {
    let fail = true
    mock.route('GET', '/instruments/i1', () => (fail ? { status: 404, data: { code: 'NOT_FOUND', message: '仪器不存在' } } : { instrument: fx.instrument(1), history: [] }))
    const page = mount('pages/instrument/index')
    await page.instance.onLoad({ id: 'i1' })
    await flush()
    expect(mock.lastToast()).toBe('仪器不存在')
    fail = false
    tap(page, '.retry')
    await flush()
    expect(pairs(page).器具名称).toBe('电子台秤 1')
  })
})

describe('booking detail', () => {
  async function openBooking(booking, history = []) {
    mock.route('GET', '/bookings/b1', { booking, history })
    const page = mount('pages/booking/index')
    await page.instance.onLoad({ id: 'b1' })
    await flush()
    return page
  }

  test('shows number, status, institution, time and the instruments with their outcome', async () => {
    const page = await openBooking(fx.booking(1, {
      status: 'confirmed',
      statusName: '已确认',
      items: [
        { instrument: fx.instrument(1), outcome: 'verified', outcomeName: '已检定', result: 'qualified', resultName: '合格', certificateNo: 'GZJL-1', validUntil: '2031-05-05' },
        { instrument: fx.instrument(2), outcome: 'mismatch', outcomeName: '退单', result: 'unqualified', certificateNo: '', reason: '出厂编号与备案不符' },
      ],
    }), [{ at: '2030-05-01T01:00:00Z', action: '提交预约', user: '张经理' }])
    expect(page.querySelector('.number').dom.textContent).toBe('YY000001')
    expect(page.querySelector('.status').dom.textContent).toBe('已确认')
    expect(page.querySelector('.slot').dom.textContent).toBe('09:00-11:30')
    expect(page.querySelector('.date').dom.textContent).toContain('2030-05-06')
    const items = page.querySelectorAll('.bk-item').map(i => i.dom.textContent.replace(/\s+/g, ' '))
    expect(items).toHaveLength(2)
    expect(items[0]).toContain('已检定 · 合格 · 证书号 GZJL-1 · 有效期至 2031-05-05')
    // Without resultName the code is still shown in words.
    expect(items[1]).toContain('退单 · 不合格 · 原因：出厂编号与备案不符')
    expect(items[1]).not.toContain('unqualified')
    expect(text(page)).toContain('提交预约')
    expect(page.querySelector('.cancel')).toBeUndefined()
    tap(page.querySelectorAll('.bk-item')[1])
    await flush()
    expect(mock.navigatedTo()).toEqual(['/pages/instrument/index?id=i2'])
  })

  test('a rejected booking shows the reason', async () => {
    const page = await openBooking(fx.booking(1, { status: 'rejected', statusName: '被拒绝', reason: '当日检定人员不足' }))
    expect(page.querySelector('.reason').dom.textContent).toBe('当日检定人员不足')
  })

  test('a pending booking can be cancelled after confirming', async () => {
    let status = 'pending'
    mock.route('GET', '/bookings/b1', () => ({ booking: fx.booking(1, { status, statusName: status === 'pending' ? '预约中' : '已取消' }), history: [] }))
    mock.route('POST', '/bookings/b1/cancel', () => { status = 'cancelled'; return {} })
    const page = mount('pages/booking/index')
    await page.instance.onLoad({ id: 'b1' })
    await flush()
    mock.answerModal(true)
    tap(page, '.cancel')
    await flush()
    expect(mock.sent('POST', '/bookings/b1/cancel')).toHaveLength(1)
    expect(mock.lastToast()).toBe('已取消 1 张预约单')
    expect(page.querySelector('.status').dom.textContent).toBe('已取消')
    expect(page.querySelector('.cancel')).toBeUndefined()
  })
})

describe('certificates', () => {
  function certs(total) {
    return req => {
      const page = Number(req.query.page)
      const size = Number(req.query.size)
      const n = Math.max(0, Math.min(size, total - (page - 1) * size))
      return {
        items: Array.from({ length: n }, (_, i) => ({
          number: 'GZJL-' + ((page - 1) * size + i + 1),
          instrumentName: '电子台秤',
          factoryNo: 'F1',
          resultName: '合格',
          verifyDate: '2030-03-01',
          validUntil: '2031-02-28',
          institutionName: '广州计量检测技术研究院',
        })),
        total,
      }
    }
  }

  test('pages by 15, loads more at the bottom and refreshes on pull-down', async () => {
    mock.route('GET', '/certificates', certs(17))
    const page = mount('pages/certificates/index')
    await page.instance.onLoad()
    await flush()
    expect(page.querySelectorAll('.cert')).toHaveLength(15)
    expect(text(page)).toContain('共 17 张证书')
    await page.instance.onReachBottom()
    await flush()
    expect(page.querySelectorAll('.cert-no').map(c => c.dom.textContent).slice(-2)).toEqual(['GZJL-16', 'GZJL-17'])
    expect(page.querySelector('.end')).toBeTruthy()
    await page.instance.onReachBottom()
    await page.instance.onPullDownRefresh()
    await flush()
    expect(mock.requests.map(r => r.query)).toEqual([{ page: '1', size: '15' }, { page: '2', size: '15' }, { page: '1', size: '15' }])
    expect(page.querySelectorAll('.cert')).toHaveLength(15)
    expect(wx.stopPullDownRefresh).toHaveBeenCalled()
  })

  test('says when there is none', async () => {
    mock.route('GET', '/certificates', { items: [], total: 0 })
    const page = mount('pages/certificates/index')
    await page.instance.onLoad()
    await flush()
    expect(page.querySelector('.empty').dom.textContent).toBe('暂无证书')
  })
})
