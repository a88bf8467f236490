const { mount, flush, text, tap } = require('./helpers/sim')
const fx = require('./helpers/fixtures')
const auth = require('../utils/auth')
const format = require('../utils/format')

const PENDING = [
  fx.instrument(1, { filingStatus: 'approved' }),
  fx.instrument(2, { filingStatus: 'approved' }),
  fx.instrument(3, { filingStatus: 'approved', method: 2, methodName: '现场检定' }),
  fx.instrument(4, { filingStatus: 'approved', institutionId: 'inst-440300', institutionName: '深圳市计量质量检测研究院' }),
]

const SLOTS = {
  days: [
    { date: '2030-05-05', weekday: '周日', open: false, slots: [] },
    {
      date: '2030-05-06',
      weekday: '周一',
      open: true,
      slots: [
        { id: 's-am', start: '09:00', end: '11:30', capacity: 20, remaining: 0 },
        { id: 's-pm', start: '14:00', end: '17:00', capacity: 20, remaining: 3 },
      ],
    },
    { date: '2030-05-07', weekday: 2, open: true, slots: [{ id: 's-am', start: '09:00', end: '11:30', capacity: 20, remaining: 20 }] },
  ],
}

beforeEach(() => {
  auth.setSession('tok', fx.user)
  mock.route('GET', '/booking/pending', { items: PENDING })
  mock.route('GET', '/booking/slots', SLOTS)
})

async function openCreate(query = {}) {
  const page = mount('pages/booking-create/index')
  await page.instance.onLoad(query)
  await flush()
  return page
}

function picked(page) {
  return Object.keys(page.data.selected).sort()
}

describe('booking creation', () => {
  test('step 1 groups the pending list by institution and method, preselecting ?ids', async () => {
    const page = await openCreate({ ids: 'i1,i2' })
    const groups = page.querySelectorAll('.group-title').map(g => g.dom.textContent)
    expect(groups).toEqual(['广州计量检测技术研究院 · 送检', '广州计量检测技术研究院 · 现场检定', '深圳市计量质量检测研究院 · 送检'])
    expect(picked(page)).toEqual(['i1', 'i2'])
    expect(text(page)).toContain('已选 2 台')
  })

  test('instruments of another institution or method cannot join the selection', async () => {
    const page = await openCreate({ ids: 'i1' })
    tap(page, '.pick-i3')
    await flush()
    expect(mock.lastToast()).toBe('不同机构、不同检定方式的仪器须分开预约')
    tap(page, '.pick-i4')
    await flush()
    expect(picked(page)).toEqual(['i1'])
    tap(page, '.pick-i1')
    tap(page, '.pick-i4')
    await flush()
    expect(picked(page)).toEqual(['i4'])
  })

  test('a mixed preselection keeps the first group and says why', async () => {
    const page = await openCreate({ ids: 'i4,i1,i2' })
    expect(picked(page)).toEqual(['i4'])
    expect(mock.lastToast()).toContain('不同机构、不同检定方式的仪器须分开预约')
  })

  test('the next step needs a selection', async () => {
    const page = await openCreate()
    tap(page, '.next')
    await flush()
    expect(mock.lastToast()).toBe('请先勾选要预约的仪器')
    expect(page.data.step).toBe(1)
    expect(mock.sent('GET', '/booking/slots')).toEqual([])
  })

  test('step 2 asks the institution calendar for 14 days from today and starts on a day with room', async () => {
    const page = await openCreate({ ids: 'i1,i2' })
    tap(page, '.next')
    await flush()
    expect(mock.sent('GET', '/booking/slots')[0].query).toEqual({ institutionId: 'inst-440100', from: format.today(), days: '14' })
    expect(page.data.step).toBe(2)
    expect(page.data.date).toBe('2030-05-06')
    expect(page.querySelectorAll('.day__week').map(d => d.dom.textContent)).toEqual(['周日', '周一', '周二'])
    expect(page.querySelectorAll('.slot__left').map(d => d.dom.textContent)).toEqual(['已约满', '余 3'])
  })

  test('closed days and full slots cannot be picked; the next step needs a slot', async () => {
    const page = await openCreate({ ids: 'i1' })
    tap(page, '.next')
    await flush()
    tap(page, '.day-2030-05-05')
    await flush()
    expect(mock.lastToast()).toBe('该日不开放预约')
    expect(page.data.date).toBe('2030-05-06')
    tap(page, '.slot-s-am')
    await flush()
    expect(mock.lastToast()).toBe('该时间段已约满，请选择其他时间')
    tap(page, '.next')
    await flush()
    expect(mock.lastToast()).toBe('请选择预约时间段')
    expect(page.data.step).toBe(2)
  })

  test('step 3 summarises and submits; the new booking opens', async () => {
    mock.route('POST', '/bookings', { status: 201, data: { booking: fx.booking(9, { id: 'b9' }) } })
    const page = await openCreate({ ids: 'i1,i2' })
    tap(page, '.next')
    await flush()
    tap(page, '.day-2030-05-07')
    await flush()
    tap(page, '.slot-s-am')
    await flush()
    tap(page, '.next')
    await flush()
    expect(page.data.step).toBe(3)
    expect(page.querySelector('.summary-date').dom.textContent).toBe('2030-05-07 周二')
    expect(page.querySelector('.summary-slot').dom.textContent).toBe('09:00-11:30')
    tap(page, '.submit')
    await flush()
    expect(mock.sent('POST', '/bookings')[0].data).toEqual({ ids: ['i1', 'i2'], date: '2030-05-07', slotId: 's-am' })
    expect(mock.ui.toasts).toContain('预约已提交')
    expect(wx.redirectTo).toHaveBeenCalledWith({ url: '/pages/booking/index?id=b9' })
  })

  test('上一步 goes back without losing the selection', async () => {
    const page = await openCreate({ ids: 'i1' })
    tap(page, '.next')
    await flush()
    tap(page, '.back')
    await flush()
    expect(page.data.step).toBe(1)
    expect(picked(page)).toEqual(['i1'])
  })

  test('a slot taken meanwhile (409) shows the fresh calendar again', async () => {
    mock.route('POST', '/bookings', { status: 409, data: { code: 'CONFLICT', message: '该时间段已约满，请选择其他时间' } })
    const page = await openCreate({ ids: 'i1' })
    tap(page, '.next')
    await flush()
    tap(page, '.slot-s-pm')
    await flush()
    tap(page, '.next')
    await flush()
    tap(page, '.submit')
    await flush()
    expect(mock.lastToast()).toBe('该时间段已约满，请选择其他时间')
    expect(mock.sent('GET', '/booking/slots')).toHaveLength(2)
    expect(page.data.step).toBe(2)
    expect(page.data.slotId).toBe('')
    expect(wx.redirectTo).not.toHaveBeenCalled()
  })

  test('an empty pending list explains where instruments come from', async () => {
    mock.route('GET', '/booking/pending', { items: [] })
    const page = await openCreate()
    expect(page.querySelector('.empty').dom.textContent).toBe('待处理列表为空，请先在“预约检定”中加入仪器')
  })
})
