// The three menu groups of the web platform (manual 三.1, 四.4, 五.3) and what
// each menu lists and offers in its 操作 button and swipe actions.
const { api } = require('./request')
const config = require('../config')

// Per-action texts. `danger` actions get a red confirm button and a red
// swipe button; `confirm` is asked before anything is sent.
const ACTIONS = {
  stop: {
    text: '停用',
    confirm: '确定停用选中的 {n} 台仪器？停用后可在“备案管理 → 已停用”中重新启用。',
    done: '已停用 {n} 台仪器',
    failed: '未能停用',
    color: 'orange',
  },
  enable: { text: '启用', done: '已启用 {n} 台仪器', failed: '未能启用', color: 'blue' },
  scrap: {
    text: '报废',
    confirm: '确定报废选中的 {n} 台仪器？报废后不能恢复，仪器将归至“已报废”。',
    done: '已报废 {n} 台仪器',
    failed: '未能报废',
    danger: true,
    color: 'red',
  },
  delete: {
    text: '删除',
    confirm: '确定删除选中的 {n} 台仪器？删除后不能恢复。',
    done: '已删除 {n} 台仪器',
    failed: '未能删除',
    danger: true,
    color: 'red',
  },
  submitFiling: { text: '提交备案', done: '已提交 {n} 台仪器的备案', failed: '未能提交备案', color: 'green' },
  withdraw: {
    text: '撤销备案',
    confirm: '确定撤销选中的 {n} 台仪器的备案申请？撤销后仪器回到“待备案”。',
    done: '已撤销 {n} 台仪器的备案',
    failed: '未能撤销备案',
    color: 'orange',
  },
  addPending: { text: '加入待处理', done: '已将 {n} 台仪器加入待处理列表', failed: '未能加入待处理', color: 'blue' },
  removePending: { text: '移出', done: '已将 {n} 台仪器移出待处理列表', failed: '未能移出', color: 'orange' },
  book: { text: '预约', color: 'green' },
  cancelBooking: {
    text: '取消预约',
    confirm: '确定取消选中的 {n} 张预约单？',
    done: '已取消 {n} 张预约单',
    failed: '未能取消',
    danger: true,
    color: 'red',
    unit: '张预约单',
  },
}

const GROUPS = {
  instruments: {
    title: '仪器管理',
    menus: [
      { key: 'all', title: '全部仪器', query: { view: 'all' }, actions: ['stop', 'scrap', 'delete'] },
      { key: 'due', title: '须检仪器', query: { view: 'due' }, actions: ['addPending'] },
      { key: 'overdue', title: '超期未检', query: { view: 'overdue' }, actions: ['addPending', 'stop'] },
      { key: 'invalid', title: '无效仪器', query: { view: 'invalid' }, actions: ['stop'] },
      { key: 'unqualified', title: '不合格', query: { view: 'unqualified' }, actions: ['addPending', 'stop'] },
      { key: 'scrapped', title: '已报废', query: { view: 'scrapped' }, actions: [] },
    ],
  },
  filings: {
    title: '备案管理',
    menus: [
      { key: 'unfiled', title: '待备案', query: { filing: 'unfiled' }, actions: ['submitFiling', 'delete'] },
      { key: 'submitted', title: '已提交', query: { filing: 'submitted' }, actions: ['withdraw'] },
      { key: 'returned', title: '被退回', query: { filing: 'returned' }, actions: ['submitFiling', 'delete'] },
      { key: 'pending', title: '待处理', query: { filing: 'pending' }, actions: [] },
      { key: 'confirming', title: '待确认', query: { filing: 'confirming' }, actions: [] },
      { key: 'approved', title: '已审核', query: { filing: 'approved' }, actions: [] },
      { key: 'revoked', title: '被撤销', query: { filing: 'revoked' }, actions: ['stop', 'scrap'] },
      { key: 'stopped', title: '已停用', query: { filing: 'stopped' }, actions: ['enable', 'scrap'] },
    ],
  },
  bookings: {
    title: '预约管理',
    menus: [
      {
        key: 'book',
        title: '预约检定',
        // Only approved instruments that are due, overdue or unqualified can
        // be booked (DOMAIN §7); the three views are offered as filters.
        views: [
          { key: 'due', title: '须检仪器' },
          { key: 'overdue', title: '超期未检' },
          { key: 'unqualified', title: '不合格' },
        ],
        actions: ['addPending', 'book'],
      },
      { key: 'pendingList', title: '待处理列表', pendingList: true, actions: ['removePending', 'book'] },
      { key: 'pending', title: '预约中', status: 'pending', actions: ['cancelBooking'] },
      { key: 'confirmed', title: '已确认', status: 'confirmed', actions: [] },
      { key: 'rejected', title: '被拒绝', status: 'rejected', actions: [] },
      { key: 'returned', title: '被退回', status: 'returned', actions: [] },
      { key: 'history', title: '历史查询', status: 'history', actions: [] },
    ],
  },
}

function group(name) {
  const g = GROUPS[name]
  if (!g) throw new Error('unknown menu group: ' + name)
  return g
}

function menu(groupName, key) {
  const g = group(groupName)
  return g.menus.find(m => m.key === key) || g.menus[0]
}

// What a menu lists: booking statuses list bookings, everything else
// instruments.
function itemKind(m) {
  return m.status ? 'booking' : 'instrument'
}

// One page of a menu's list, as {items, total, finished}.
function fetchPage(m, page, sub) {
  const size = config.pageSize
  if (m.pendingList) {
    // The pending list is small and kept on the server unpaged.
    return api.get('/booking/pending').then(res => {
      const items = res.items || []
      return { items, total: items.length, finished: true }
    })
  }
  let req
  if (m.status) {
    req = api.get('/bookings', { status: m.status, page, size })
  } else {
    const query = Object.assign({}, m.query, { page, size })
    if (m.views) query.view = sub || m.views[0].key
    req = api.get('/instruments', query)
  }
  return req.then(res => {
    const items = res.items || []
    const total = typeof res.total === 'number' ? res.total : items.length
    return { items, total, finished: items.length < size || page * size >= total }
  })
}

module.exports = { ACTIONS, GROUPS, group, menu, itemKind, fetchPage }
