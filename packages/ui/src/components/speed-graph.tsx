import { createEffect, onCleanup, onMount, type JSX } from 'solid-js'
import type { RateSample } from '../store/engine-model.ts'
import { formatRate } from '../format.ts'

/** Download/upload rate over the last samples, drawn on a canvas (no chart library). */
export function SpeedGraph(props: { samples: RateSample[]; height?: number }): JSX.Element {
  let canvas: HTMLCanvasElement | undefined
  let width = 300
  const draw = () => {
    const s = props.samples
    if (!canvas) return
    const h = props.height ?? 140
    const dpr = globalThis.devicePixelRatio || 1
    canvas.width = Math.floor(width * dpr)
    canvas.height = Math.floor(h * dpr)
    canvas.style.height = `${h}px`
    const ctx = canvas.getContext('2d')
    if (!ctx) return
    ctx.scale(dpr, dpr)
    const style = getComputedStyle(canvas)
    const grid = style.getPropertyValue('--border').trim() || '#ccc'
    const text = style.getPropertyValue('--muted').trim() || '#888'
    const down = style.getPropertyValue('--down').trim() || '#2f80ed'
    const up = style.getPropertyValue('--up').trim() || '#27ae60'
    const max = Math.max(1024, ...s.map((x) => Math.max(x.down, x.up))) * 1.15
    ctx.strokeStyle = grid
    ctx.lineWidth = 1
    ctx.fillStyle = text
    ctx.font = '11px system-ui, sans-serif'
    for (let i = 0; i <= 3; i++) {
      const y = Math.round((h - 16) * (i / 3)) + 0.5
      ctx.beginPath()
      ctx.moveTo(0, y)
      ctx.lineTo(width, y)
      ctx.stroke()
      ctx.fillText(formatRate(max * (1 - i / 3)) || '0', 4, y + 12)
    }
    const n = 120
    const plot = (get: (x: RateSample) => number, color: string, fill: boolean) => {
      if (s.length < 2) return
      ctx.beginPath()
      s.forEach((x, i) => {
        const px = width - ((s.length - 1 - i) / (n - 1)) * width
        const py = (h - 16) * (1 - get(x) / max)
        if (i === 0) ctx.moveTo(px, py)
        else ctx.lineTo(px, py)
      })
      ctx.strokeStyle = color
      ctx.lineWidth = 2
      ctx.stroke()
      if (fill) {
        ctx.lineTo(width, h - 16)
        ctx.lineTo(width - ((s.length - 1) / (n - 1)) * width, h - 16)
        ctx.closePath()
        ctx.globalAlpha = 0.15
        ctx.fillStyle = color
        ctx.fill()
        ctx.globalAlpha = 1
      }
    }
    plot((x) => x.down, down, true)
    plot((x) => x.up, up, false)
    const last = s[s.length - 1]
    ctx.fillStyle = text
    ctx.fillText(
      `▼ ${formatRate(last?.down ?? 0) || '0 B/s'}   ▲ ${formatRate(last?.up ?? 0) || '0 B/s'}   (last 2 min)`,
      4,
      h - 3,
    )
  }
  onMount(() => {
    const ro = new ResizeObserver((e) => {
      width = Math.max(100, e[0]?.contentRect.width ?? 300)
      draw()
    })
    if (canvas?.parentElement) ro.observe(canvas.parentElement)
    onCleanup(() => ro.disconnect())
  })
  createEffect(draw)
  return (
    <div class="graph">
      <canvas ref={canvas} aria-label="Speed graph" style={{ width: '100%' }} />
    </div>
  )
}
