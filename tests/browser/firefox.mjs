// Debian's Firefox ESR driven over WebDriver BiDi by puppeteer-core, for tests/browser/engines.py.
// Usage: node firefox.mjs FIREFOX DOWNLOAD_DIR. Reads one JSON command a line on stdin and
// writes one JSON line for each: {"value": ...} or {"error": "..."}; the first line says
// the browser's version once it has started.
import { createInterface } from "node:readline";
import puppeteer from "puppeteer-core";

const [executablePath, downloads] = process.argv.slice(2);
const answer = (reply) => process.stdout.write(JSON.stringify(reply) + "\n");

let browser;
try {
  browser = await puppeteer.launch({
    browser: "firefox",
    protocol: "webDriverBiDi",
    executablePath,
    headless: true,
    // Files a page saves go to the test's folder, without a dialog.
    extraPrefsFirefox: {
      "browser.download.dir": downloads,
      "browser.download.folderList": 2,
      "browser.download.useDownloadDir": true,
      "browser.download.always_ask_before_handling_new_types": false,
    },
  });
} catch (error) {
  answer({ error: "Firefox did not start: " + error.message });
  process.exit(1);
}
const page = await browser.newPage();
await page.setViewport({ width: 390, height: 844 });
let errors = [];
page.on("console", (message) => { if (message.type() === "error") errors.push(message.text()); });
page.on("pageerror", (error) => errors.push(String(error)));

const commands = {
  async goto({ url }) {
    await page.goto("about:blank");
    errors = [];
    await page.goto(url, { waitUntil: "load" });
  },
  evaluate: ({ function: source, args }) => page.evaluate(`(${source})(...${JSON.stringify(args)})`),
  type: ({ selector, text }) => page.type(selector, text),
  click: ({ selector }) => page.click(selector),
  errors: () => errors,
  async quit() {
    await browser.close();
  },
};

answer({ value: await browser.version() });
for await (const line of createInterface({ input: process.stdin })) {
  const command = JSON.parse(line);
  try {
    const value = await commands[command.op](command);
    answer({ value: value === undefined ? null : value });
  } catch (error) {
    answer({ error: `${command.op}: ${error.message}` });
  }
  if (command.op === "quit") process.exit(0);
}
await browser.close(); // stdin closed: the tests have gone
process.exit(0);
