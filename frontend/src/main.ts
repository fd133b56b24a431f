import { registerSW } from "virtual:pwa-register";
import "./global.css";
import { db } from "./db";
import { start } from "./runtime";
import type { InspectorApp } from "./ui/app";
import "./ui/app";

const app = document.querySelector("insp-app") as InspectorApp;

let updateSW: ((reload?: boolean) => Promise<void>) | null = null;
if ("serviceWorker" in navigator) {
  updateSW = registerSW({
    immediate: true,
    onNeedRefresh() {
      // Offer it; the shell hides the reload while changes are unsent.
      app.updateReady = true;
    },
    onOfflineReady() {
      document.documentElement.dataset.offlineReady = "true";
    },
    onRegisteredSW(_url, registration) {
      if (!registration) return;
      // Look for a new version when the app comes back to the foreground.
      document.addEventListener("visibilitychange", () => {
        if (document.visibilityState === "visible" && navigator.onLine) void registration.update().catch(() => undefined);
      });
    },
  });
}

app.applyUpdate = async () => {
  if ((await db.outbox.count()) > 0) return; // never reload over unsent changes
  if (updateSW) {
    await updateSW(true);
    // A page the old worker never controlled gets no "controlling" event: reload once the new one is active.
    setTimeout(() => location.reload(), 2000);
  } else {
    location.reload();
  }
};

/** The element with focus, inside shadow roots too. */
function deepActiveElement(): Element | null {
  let el: Element | null = document.activeElement;
  while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
  return el;
}

// A field being typed in is saved on "change"; make sure it fires before the tablet
// puts the app away or the page goes.
const flushEdits = () => {
  const el = deepActiveElement();
  if (el instanceof HTMLElement && (el.matches("textarea, input, select") || el.isContentEditable)) el.blur();
};
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "hidden") flushEdits();
});
window.addEventListener("pagehide", flushEdits);

void start();
