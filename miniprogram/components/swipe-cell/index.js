// A list row that slides left to reveal action buttons (WeChat's swipe
// gesture on chat rows). The parent decides which row is open through the
// `open` property, so that opening one row closes the others.
const BUTTON_WIDTH = 72 // px: touch offsets are px, so the buttons are too
const LOCK_DISTANCE = 6 // px of travel before deciding horizontal vs vertical

Component({
  options: { styleIsolation: 'apply-shared' },
  properties: {
    actions: {
      type: Array,
      value: [],
      observer(actions) {
        this.setData({ width: (actions || []).length * BUTTON_WIDTH })
      },
    },
    open: {
      type: Boolean,
      value: false,
      observer(open) {
        this.opened = open
        this.setData({ offset: open ? -this.data.width : 0, dragging: false })
      },
    },
    disabled: { type: Boolean, value: false },
  },
  data: { offset: 0, width: 0, dragging: false },
  lifetimes: {
    attached() {
      this.setData({ width: (this.data.actions || []).length * BUTTON_WIDTH })
    },
  },
  methods: {
    enabled() {
      return !this.data.disabled && this.data.width > 0
    },
    onTouchStart(e) {
      const t = e.touches && e.touches[0]
      if (!t) return
      this.gesture = { x: t.clientX, y: t.clientY, from: this.data.offset, direction: '' }
    },
    onTouchMove(e) {
      const g = this.gesture
      const t = e.touches && e.touches[0]
      if (!g || !t || !this.enabled()) return
      const dx = t.clientX - g.x
      const dy = t.clientY - g.y
      if (!g.direction) {
        if (Math.abs(dx) < LOCK_DISTANCE && Math.abs(dy) < LOCK_DISTANCE) return
        // Decide once per gesture, so a vertical scroll never drags the row.
        g.direction = Math.abs(dx) > Math.abs(dy) ? 'h' : 'v'
      }
      if (g.direction !== 'h') return
      const offset = Math.max(-this.data.width, Math.min(0, g.from + dx))
      this.setData({ offset, dragging: true })
    },
    onTouchEnd() {
      const g = this.gesture
      this.gesture = null
      if (!g || g.direction !== 'h') return
      const w = this.data.width
      // A short flick is enough: 30% of the buttons' width opens a closed
      // row, and 30% back closes an open one.
      const open = g.from === 0 ? this.data.offset < -w * 0.3 : this.data.offset < -w * 0.7
      this.setOpen(open)
    },
    // Settles the row and tells the parent when its state changed (a drag
    // that snaps back to where it was is no news).
    setOpen(open) {
      this.setData({ offset: open ? -this.data.width : 0, dragging: false })
      if (!!this.opened === open) return
      this.opened = open
      this.triggerEvent(open ? 'open' : 'close', {})
    },
    onMaskTap() {
      this.setOpen(false)
    },
    onAction(e) {
      const key = e.currentTarget.dataset.key
      this.setOpen(false)
      this.triggerEvent('action', { key })
    },
  },
})
