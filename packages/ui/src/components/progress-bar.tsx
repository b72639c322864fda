import type { JSX } from 'solid-js'
import { formatPercent } from '../format.ts'

/** A thin bar with the percentage on top; `tone` colours it by torrent state. */
export function ProgressBar(props: { value: number; tone?: string; label?: string }): JSX.Element {
  return (
    <div
      class={`pbar ${props.tone ?? ''}`}
      role="progressbar"
      aria-label={props.label ?? 'Progress'}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={Math.round(props.value * 100)}
    >
      <div class="pbar-fill" style={{ width: `${Math.max(0, Math.min(1, props.value)) * 100}%` }} />
      <span class="pbar-text">{formatPercent(props.value)}</span>
    </div>
  )
}
