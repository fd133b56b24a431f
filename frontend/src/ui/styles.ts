import { css } from "lit";

/** Shared look: tablet-sized touch targets (>= 44px), high contrast, no inline styles (CSP). */
export const shared = css`
  :host {
    display: block;
    color: #1a1a1a;
    font: 16px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  }
  *,
  *::before,
  *::after {
    box-sizing: border-box;
  }
  h1,
  h2,
  h3 {
    line-height: 1.2;
    margin: 0 0 0.5rem;
    color: #1d3557;
  }
  h1 {
    font-size: 1.5rem;
  }
  h2 {
    font-size: 1.25rem;
  }
  h3 {
    font-size: 1.05rem;
  }
  a {
    color: #0b4f8a;
    display: inline-flex;
    align-items: center;
    min-height: 44px;
    min-width: 44px;
  }
  button,
  .button {
    min-height: 44px;
    min-width: 44px;
    padding: 0.5rem 1rem;
    border-radius: 8px;
    border: 2px solid #1d3557;
    background: #fff;
    color: #1d3557;
    font: inherit;
    font-weight: 600;
    cursor: pointer;
    display: inline-flex;
    align-items: center;
    justify-content: center;
    gap: 0.4rem;
    text-decoration: none;
  }
  button.primary,
  .button.primary {
    background: #1d3557;
    color: #fff;
  }
  button.danger {
    border-color: #a4161a;
    color: #a4161a;
  }
  button:disabled {
    opacity: 0.55;
    cursor: not-allowed;
  }
  button:focus-visible,
  a:focus-visible,
  input:focus-visible,
  select:focus-visible,
  textarea:focus-visible {
    outline: 3px solid #f4a261;
    outline-offset: 2px;
  }
  input,
  select,
  textarea {
    font: inherit;
    min-height: 44px;
    padding: 0.5rem 0.6rem;
    border: 1px solid #5f6b7a;
    border-radius: 6px;
    background: #fff;
    color: #1a1a1a;
    width: 100%;
  }
  textarea {
    min-height: 88px;
    resize: vertical;
  }
  label {
    font-weight: 600;
    display: block;
    margin: 0.6rem 0 0.25rem;
  }
  .card {
    background: #fff;
    border: 1px solid #c9d1db;
    border-radius: 10px;
    padding: 1rem;
    margin: 0 0 1rem;
  }
  .row {
    display: flex;
    flex-wrap: wrap;
    gap: 0.5rem;
    align-items: center;
  }
  .spread {
    display: flex;
    flex-wrap: wrap;
    gap: 0.5rem;
    align-items: center;
    justify-content: space-between;
  }
  .muted {
    color: #4a5561;
  }
  .small {
    font-size: 0.9rem;
  }
  .badge {
    display: inline-block;
    padding: 0.1rem 0.55rem;
    border-radius: 999px;
    font-size: 0.85rem;
    font-weight: 600;
    background: #e8eef5;
    color: #1d3557;
  }
  a.badge {
    display: inline-flex;
    align-items: center;
    padding: 0 0.75rem;
  }
  .badge.warn {
    background: #fff3cd;
    color: #5c4200;
  }
  .badge.bad {
    background: #fde2e1;
    color: #8a1116;
  }
  .badge.good {
    background: #dff3e4;
    color: #14532d;
  }
  .notice {
    border-left: 6px solid #1d3557;
    background: #eef3f8;
    padding: 0.75rem 1rem;
    border-radius: 6px;
    margin: 0 0 1rem;
  }
  .notice.error {
    border-color: #a4161a;
    background: #fdecec;
  }
  .notice.warn {
    border-color: #b7791f;
    background: #fff8e6;
  }
  progress {
    width: 100%;
    height: 18px;
    accent-color: #1d3557;
  }
  dl {
    display: grid;
    grid-template-columns: max-content 1fr;
    gap: 0.25rem 1rem;
    margin: 0;
  }
  dt {
    font-weight: 600;
    color: #33404d;
  }
  dd {
    margin: 0;
  }
  table {
    border-collapse: collapse;
    width: 100%;
  }
  th,
  td {
    text-align: left;
    padding: 0.5rem;
    border-bottom: 1px solid #d5dce4;
    vertical-align: top;
  }
  .visually-hidden {
    position: absolute;
    width: 1px;
    height: 1px;
    overflow: hidden;
    clip: rect(0 0 0 0);
    white-space: nowrap;
  }
  ul.plain {
    list-style: none;
    padding: 0;
    margin: 0;
  }
`;
