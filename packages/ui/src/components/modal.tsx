/**
 * A modal dialog: marked modal for screen readers, takes focus when it opens (the field marked
 * `autofocus`, else the first control), keeps Tab and Shift+Tab inside, closes on Escape or a click
 * outside, and gives focus back to where it was when it closes.
 */
import { onCleanup, onMount, type JSX } from 'solid-js'

const FOCUSABLE =
  'button:not(:disabled), input:not(:disabled), select:not(:disabled), textarea:not(:disabled), a[href], [tabindex]:not([tabindex="-1"])'

/** Visible controls inside `root` that Tab reaches, in order. */
export function tabStops(root: HTMLElement): HTMLElement[] {
  return [...root.querySelectorAll<HTMLElement>(FOCUSABLE)].filter(
    (el) => el.offsetParent !== null || el === document.activeElement,
  )
}

export function Modal(props: {
  label: string
  onClose: () => void
  onSubmit: (e: SubmitEvent) => void
  children: JSX.Element
}): JSX.Element {
  let form!: HTMLFormElement
  const before = document.activeElement as HTMLElement | null
  onMount(() => {
    const first = form.querySelector<HTMLElement>('[autofocus]') ?? tabStops(form)[0]
    ;(first ?? form).focus()
  })
  onCleanup(() => {
    // Back to the control that opened it (the toolbar button, the list), if it is still there.
    if (before?.isConnected) before.focus()
  })
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === 'Escape') {
      e.preventDefault()
      props.onClose()
      return
    }
    if (e.key !== 'Tab') return
    const stops = tabStops(form)
    if (stops.length === 0) return
    const first = stops[0]!
    const last = stops[stops.length - 1]!
    if (e.shiftKey && (document.activeElement === first || !form.contains(document.activeElement))) {
      e.preventDefault()
      last.focus()
    } else if (!e.shiftKey && document.activeElement === last) {
      e.preventDefault()
      first.focus()
    }
  }
  return (
    <div class="modal-back" onClick={(e) => e.target === e.currentTarget && props.onClose()}>
      <form
        class="modal"
        role="dialog"
        aria-modal="true"
        aria-label={props.label}
        tabindex="-1"
        ref={form}
        onSubmit={(e) => props.onSubmit(e)}
        onKeyDown={onKeyDown}
      >
        {props.children}
      </form>
    </div>
  )
}
