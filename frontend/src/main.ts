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

void start();
