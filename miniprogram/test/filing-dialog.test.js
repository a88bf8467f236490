const { mount, flush, until, text, tap } = require('./helpers/sim')
const auth = require('../utils/auth')

const OPTIONS = {
  institutions: [
    { id: 'inst-440106', name: '广州市天河区计量所', canVerifyAll: false, missingCategories: ['燃油加油机', '出租汽车计价器'] },
    { id: 'inst-440100', name: '广州计量检测技术研究院', canVerifyAll: true, missingCategories: [] },
  ],
  needTypeCert: [{ id: 'i3', label: '燃油加油机（J-3）', message: '该种别监管方式为 P+V，提交备案前须上传型式评价证书' }],
  province: '广东省计量科学研究院',
}

async function openDialog(ids = ['i1', 'i2', 'i3']) {
  const dialog = mount('components/filing-dialog/index')
  const events = []
  dialog.addEventListener('done', e => events.push(['done', e.detail]))
  dialog.addEventListener('close', () => events.push(['close']))
  dialog.instance.open(ids)
  await flush()
  return { dialog, events }
}

beforeEach(() => {
  auth.setSession('tok', null)
  mock.route('POST', '/filings/options', OPTIONS)
  mock.route('POST', '/filings', req => ({ batchId: 'fb-1', done: req.data.ids.length, failed: [] }))
})

describe('filing dialog (提交备案, manual 图 26)', () => {
  test('is hidden until opened', () => {
    const dialog = mount('components/filing-dialog/index')
    expect(dialog.querySelector('.weui-half-screen-dialog')).toBeUndefined()
  })

  test('loads the institutions for the selected instruments and prefers one that can verify all', async () => {
    const { dialog } = await openDialog()
    expect(mock.sent('POST', '/filings/options')[0].data).toEqual({ ids: ['i1', 'i2', 'i3'] })
    const names = dialog.querySelectorAll('.institution').map(i => i.dom.textContent.replace(/\s+/g, ''))
    expect(names[0]).toBe('广州市天河区计量所该机构无法检定：燃油加油机、出租汽车计价器')
    expect(names[1]).toBe('广州计量检测技术研究院')
    expect(dialog.data.institutionId).toBe('inst-440100')
    expect(text(dialog)).toContain('本次计量器具将备案至：广州计量检测技术研究院')
  })

  test('shows the statement and the transfer authorisation naming the institution', async () => {
    const { dialog } = await openDialog()
    expect(text(dialog)).toContain('责任声明')
    expect(text(dialog)).toContain('本次申报的计量器具确实属于强制检定工作计量器具，我单位对上述申报的真实性承担法律责任。')
    expect(text(dialog)).toContain('如机构：广州计量检测技术研究院无能力检定，我单位同意并授权其转送至广东省计量科学研究院进行备案。')
    tap(dialog.querySelectorAll('.institution')[0])
    await flush()
    expect(text(dialog)).toContain('如机构：广州市天河区计量所无能力检定')
  })

  test('instruments that need a type-evaluation certificate are named and left out', async () => {
    const { dialog } = await openDialog()
    expect(text(dialog)).toContain('以下 1 台仪器须先上传型式评价证书')
    expect(text(dialog)).toContain('燃油加油机（J-3）：该种别监管方式为 P+V，提交备案前须上传型式评价证书')
    expect(text(dialog)).toContain('本次提交 2 台仪器')
    tap(dialog, '.statement')
    await flush()
    tap(dialog, '.submit')
    await flush()
    expect(mock.sent('POST', '/filings')[0].data.ids).toEqual(['i1', 'i2'])
  })

  test('refuses to submit without the statement', async () => {
    const { dialog, events } = await openDialog()
    tap(dialog, '.submit')
    await flush()
    expect(mock.lastToast()).toBe('请先阅读并勾选责任声明')
    expect(mock.sent('POST', '/filings')).toEqual([])
    expect(events).toEqual([])
  })

  test('submits institution, statement and transfer, then hands the result to the list', async () => {
    const { dialog, events } = await openDialog()
    tap(dialog.querySelectorAll('.institution')[0])
    tap(dialog, '.statement')
    tap(dialog, '.transfer')
    await flush()
    tap(dialog, '.submit')
    await flush()
    expect(mock.sent('POST', '/filings')[0].data).toEqual({ ids: ['i1', 'i2'], institutionId: 'inst-440106', statement: true, transfer: true })
    expect(events).toEqual([['done', { batchId: 'fb-1', done: 2, failed: [] }]])
    expect(dialog.querySelector('.weui-half-screen-dialog')).toBeUndefined()
  })

  test('the transfer names the provincial institute the server gives', async () => {
    mock.route('POST', '/filings/options', Object.assign({}, OPTIONS, { province: '广东省计量院（测试）' }))
    const { dialog } = await openDialog()
    expect(text(dialog)).toContain('我单位同意并授权其转送至广东省计量院（测试）进行备案。')
  })

  test('a large filing still running on the server is followed until done', async () => {
    mock.route('POST', '/filings', { batchId: 'fb-9', status: 'running', total: 2, done: 0, failed: [] })
    const polls = []
    mock.route('GET', '/filings/batches/fb-9', () => {
      polls.push(Date.now())
      return polls.length < 2
        ? { batchId: 'fb-9', status: 'running', total: 2, done: 1, failed: [] }
        : { batchId: 'fb-9', status: 'done', total: 2, done: 1, failed: [{ id: 'i2', label: '电子台秤 2', message: '仪器已提交备案' }] }
    })
    const { dialog, events } = await openDialog(['i1', 'i2'])
    tap(dialog, '.statement')
    await flush()
    tap(dialog, '.submit')
    await until(() => events.length > 0, 'the batch to finish', 5000)
    expect(polls).toHaveLength(2)
    expect(events[0][1]).toEqual({ batchId: 'fb-9', status: 'done', total: 2, done: 1, failed: [{ id: 'i2', label: '电子台秤 2', message: '仪器已提交备案' }] })
    expect(wx.showLoading).toHaveBeenCalledWith({ title: '正在提交 1/2', mask: true })
    expect(mock.ui.loading).toBe(0)
  }, 10000)

  test('a refused submission keeps the dialog open with the message', async () => {
    mock.route('POST', '/filings', { status: 422, data: { code: 'INVALID', message: '请选择检定机构', fields: [{ field: 'institutionId', message: '该机构不接受备案' }] } })
    const { dialog, events } = await openDialog()
    tap(dialog, '.statement')
    await flush()
    tap(dialog, '.submit')
    await flush()
    expect(mock.lastToast()).toBe('该机构不接受备案')
    expect(dialog.querySelector('.weui-half-screen-dialog')).toBeTruthy()
    expect(dialog.data.submitting).toBe(false)
    expect(events).toEqual([])
  })

  test('nothing to submit when every instrument lacks its certificate', async () => {
    mock.route('POST', '/filings/options', Object.assign({}, OPTIONS, { needTypeCert: [{ id: 'i3', label: '燃油加油机（J-3）' }] }))
    const { dialog } = await openDialog(['i3'])
    expect(dialog.data.submitIds).toEqual([])
    expect(text(dialog)).toContain('本次提交 0 台仪器')
  })

  test('取消 closes without submitting', async () => {
    const { dialog, events } = await openDialog()
    tap(dialog, '.cancel')
    await flush()
    expect(events).toEqual([['close']])
    expect(dialog.querySelector('.weui-half-screen-dialog')).toBeUndefined()
    expect(mock.sent('POST', '/filings')).toEqual([])
  })

  test('closes when the options cannot be loaded', async () => {
    mock.route('POST', '/filings/options', { status: 422, data: { code: 'INVALID', message: '请先选择仪器' } })
    const { dialog } = await openDialog([])
    expect(mock.lastToast()).toBe('请先选择仪器')
    expect(dialog.querySelector('.weui-half-screen-dialog')).toBeUndefined()
  })
})
