/** Microsoft's captures as ConvertTo-Json writes them in PowerShell 5.1: see test/support/converted-captures.ts. */
import { convertedCapturesSuite } from "./support/converted-captures.js";

convertedCapturesSuite("5.1");
