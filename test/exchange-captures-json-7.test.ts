/** Microsoft's captures as ConvertTo-Json writes them in PowerShell 7: see test/support/converted-captures.ts. */
import { convertedCapturesSuite } from "./support/converted-captures.js";

convertedCapturesSuite("7");
