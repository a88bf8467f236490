const { mount, flush, tap } = require('./helpers/sim')

const ACTIONS = [
  { key: 'stop', text: '停用', color: 'orange' },
  { key: 'delete', text: '删除', color: 'red' },
]

function cell(props) {
  const comp = mount('components/swipe-cell/index', Object.assign({ actions: ACTIONS }, props))
  const events = []
  for (const name of ['open', 'close', 'action']) {
    comp.addEventListener(name, e => events.push([name, e.detail]))
  }
  return { comp, events, root: comp.querySelector('.swipe') }
}

async function drag(root, points) {
  const [first, ...rest] = points
  root.dispatchEvent('touchstart', { touches: [first] })
  for (const p of rest) root.dispatchEvent('touchmove', { touches: [p] })
  root.dispatchEvent('touchend', { touches: [], changedTouches: [rest[rest.length - 1] || first] })
  await flush()
}

function offset(comp) {
  return comp.querySelector('.swipe__content').dom.getAttribute('style')
}

describe('swipe-cell', () => {
  test('renders one button per action, 72px each', () => {
    const { comp } = cell()
    const buttons = comp.querySelectorAll('.swipe__btn')
    expect(buttons.map(b => b.dom.textContent)).toEqual(['停用', '删除'])
    expect(comp.data.width).toBe(144)
    expect(comp.querySelector('.swipe__btn_red')).toBeTruthy()
  })

  test('a left swipe past 30% opens the row and reports it', async () => {
    const { comp, events, root } = cell()
    await drag(root, [{ x: 300, y: 20 }, { x: 290, y: 21 }, { x: 240, y: 22 }])
    expect(comp.data.offset).toBe(-144)
    expect(offset(comp)).toContain('translateX(-144px)')
    expect(events).toEqual([['open', {}]])
    // While open, a mask covers the content so a tap closes instead of opening.
    expect(comp.querySelector('.swipe__mask')).toBeTruthy()
  })

  test('follows the finger while dragging, within the buttons width', async () => {
    const { comp, root } = cell()
    root.dispatchEvent('touchstart', { touches: [{ x: 300, y: 20 }] })
    root.dispatchEvent('touchmove', { touches: [{ x: 280, y: 20 }] })
    await flush()
    expect(comp.data.offset).toBe(-20)
    expect(comp.data.dragging).toBe(true)
    root.dispatchEvent('touchmove', { touches: [{ x: 0, y: 20 }] })
    await flush()
    expect(comp.data.offset).toBe(-144)
    root.dispatchEvent('touchmove', { touches: [{ x: 400, y: 20 }] })
    await flush()
    expect(comp.data.offset).toBe(0)
  })

  test('a short swipe snaps back closed, without news', async () => {
    const { comp, events, root } = cell()
    await drag(root, [{ x: 300, y: 20 }, { x: 280, y: 20 }])
    expect(comp.data.offset).toBe(0)
    expect(events).toEqual([])
  })

  test('a mostly vertical move scrolls the list and never drags the row', async () => {
    const { comp, events, root } = cell()
    await drag(root, [{ x: 300, y: 20 }, { x: 295, y: 60 }, { x: 200, y: 70 }])
    expect(comp.data.offset).toBe(0)
    expect(events).toEqual([])
  })

  test('tapping a button reports its key and closes the row', async () => {
    const { comp, events, root } = cell()
    await drag(root, [{ x: 300, y: 20 }, { x: 200, y: 20 }])
    tap(comp, '.swipe__btn_red')
    await flush()
    expect(events).toEqual([['open', {}], ['close', {}], ['action', { key: 'delete' }]])
    expect(comp.data.offset).toBe(0)
  })

  test('a right swipe or a tap on the content closes an open row', async () => {
    const { comp, events, root } = cell()
    await drag(root, [{ x: 300, y: 20 }, { x: 150, y: 20 }])
    await drag(root, [{ x: 150, y: 20 }, { x: 250, y: 20 }])
    expect(comp.data.offset).toBe(0)
    await drag(root, [{ x: 300, y: 20 }, { x: 150, y: 20 }])
    tap(comp, '.swipe__mask')
    await flush()
    expect(comp.data.offset).toBe(0)
    expect(events.map(e => e[0])).toEqual(['open', 'close', 'open', 'close'])
  })

  test('the parent closes it through the open property', async () => {
    const { comp, root } = cell()
    await drag(root, [{ x: 300, y: 20 }, { x: 150, y: 20 }])
    comp.setData({ open: true })
    await flush()
    comp.setData({ open: false })
    await flush()
    expect(comp.data.offset).toBe(0)
  })

  test('does not move when disabled or without actions', async () => {
    const a = cell({ disabled: true })
    await drag(a.root, [{ x: 300, y: 20 }, { x: 100, y: 20 }])
    expect(a.comp.data.offset).toBe(0)
    const b = cell({ actions: [] })
    await drag(b.root, [{ x: 300, y: 20 }, { x: 100, y: 20 }])
    expect(b.comp.data.offset).toBe(0)
    expect(a.events.concat(b.events)).toEqual([])
  })
})
