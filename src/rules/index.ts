import type { Rule } from "../core/rule.js";
import { acceptedDomainOpenRelay } from "./accepted-domains.js";
import { certificateExpired, certificateExpiring } from "./certificate-expiry.js";
import { egressIpBlocklisted } from "./egress-blocklist.js";
import { tlsDomainMismatch, tlsSenderNameMismatch } from "./exchange-online-tls.js";
import { feedStale } from "./feed-stale.js";
import { feedSuspicious } from "./feed-suspicious.js";
import { hybridRemoteDomainMisconfigured, routingDomainMisconfigured } from "./hybrid-domains.js";
import { connectorOpenToInternet, hybridReceiveNotTrusted } from "./hybrid-receive.js";
import { missingEopRange } from "./missing-eop-range.js";
import { noEopTarget } from "./no-eop-target.js";
import { outboundConnectorDrift } from "./outbound-connector-drift.js";
import { sendConnectorToCloudMisconfigured } from "./send-connector-to-cloud.js";
import { smartHostCertificateMismatch } from "./smart-host-certificate.js";
import { smartHostNoFailover, smartHostUnresolvable } from "./smart-hosts.js";
import { staleEopRange } from "./stale-eop-range.js";
import { stateDocumentStale } from "./stale-evidence.js";
import { starttlsInspected, starttlsMissing, tlsVersionOutdated } from "./starttls.js";
import { certificateRenewed, tlsCertificateNameMismatch, tlsCertificateNameMissing } from "./tls-certificate-name.js";

/**
 * Every rule a check runs, in the order reports list their findings: feed
 * problems first, then what stops mail (ranges, then certificates and the
 * connectors that name them, then domains), then what lets too much in, then
 * what the inventory leaves unchecked and what is only news. Adding a rule is
 * one file and one line here.
 */
export const RULES: readonly Rule[] = [
  feedSuspicious,
  feedStale,
  stateDocumentStale,
  missingEopRange,
  certificateExpired,
  tlsCertificateNameMismatch,
  tlsSenderNameMismatch,
  tlsDomainMismatch,
  starttlsInspected,
  starttlsMissing,
  tlsVersionOutdated,
  smartHostUnresolvable,
  smartHostCertificateMismatch,
  egressIpBlocklisted,
  hybridReceiveNotTrusted,
  outboundConnectorDrift,
  sendConnectorToCloudMisconfigured,
  routingDomainMisconfigured,
  hybridRemoteDomainMisconfigured,
  certificateExpiring,
  tlsCertificateNameMissing,
  smartHostNoFailover,
  staleEopRange,
  acceptedDomainOpenRelay,
  connectorOpenToInternet,
  noEopTarget,
  certificateRenewed,
];
