/** Vitest: every case starts unlocked, with a fresh data key (vault.test.ts locks and unlocks itself). */
import { beforeEach } from "vitest";
import { setDataKey } from "./sealed";

beforeEach(() => {
  setDataKey(crypto.getRandomValues(new Uint8Array(32)));
});
