import "./setup.js";
import { app } from "@azure/functions";
import { feedVersionCheck } from "../src/handlers/feed-version-check.js";
import { appDeps } from "../src/handlers/runtime.js";

app.timer("feedVersionCheck", {
  schedule: "%FEED_CHECK_SCHEDULE%",
  runOnStartup: false,
  handler: feedVersionCheck(appDeps),
});
