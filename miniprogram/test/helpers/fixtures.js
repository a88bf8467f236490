// API answers shaped as in miniprogram-api/openapi.yaml and the booking and
// filing contracts of the mini program brief.

const user = {
  id: 'u1',
  account: 'demo-applicant',
  name: '张经理',
  phone: '13800138000',
  subUser: false,
  applicant: { id: 'a1', name: '广州示例计量器具使用有限公司', creditCode: '91440106MA5DK8Q01N', regionCode: '440106', regionName: '广东省/广州市/天河区', status: 'approved', statusName: '已通过' },
}

const counts = {
  total: 42,
  due: 5,
  overdue: 3,
  invalid: 2,
  unqualified: 1,
  scrapped: 7,
  stopped: 4,
  booking: 6,
  filing: { unfiled: 11, submitted: 2, returned: 8, pending: 0, confirming: 1, approved: 19, revoked: 0 },
}

function instrument(n, extra) {
  return Object.assign({
    id: 'i' + n,
    name: '电子台秤 ' + n,
    model: 'TCS-' + n,
    factoryNo: 'F' + String(n).padStart(4, '0'),
    filingStatus: 'unfiled',
    filingStatusName: '待备案',
    life: 'active',
    lifeName: '在用',
    traceStatus: '未检定',
    institutionId: 'inst-440100',
    institutionName: '广州计量检测技术研究院',
    method: 1,
    methodName: '送检',
    tags: [],
    booked: false,
  }, extra)
}

function instruments(from, count, extra) {
  return Array.from({ length: count }, (_, i) => instrument(from + i, extra))
}

function booking(n, extra) {
  return Object.assign({
    id: 'b' + n,
    number: 'YY' + String(n).padStart(6, '0'),
    institutionName: '广州计量检测技术研究院',
    methodName: '送检',
    date: '2030-05-06',
    slot: '09:00-11:30',
    status: 'pending',
    statusName: '预约中',
    reason: '',
    count: 1,
    items: [{ instrument: instrument(1), outcome: '', outcomeName: '', result: '', resultName: '', certificateNo: '' }],
  }, extra)
}

module.exports = { user, counts, instrument, instruments, booking }
