import { z } from "zod";

/** What the STARTTLS probe saw (smtp-probe.ts), as a check, a report and an uploaded state document carry it. */

export const PROBE_STEPS = ["connect", "banner", "ehlo", "starttls", "tls"] as const;
export type ProbeStep = (typeof PROBE_STEPS)[number];

export const probeCertificateSchema = z.object({
  /** Exchange's form, as TlsCertificateName and Get-ExchangeCertificate write it: `CN=mail.contoso.com, O=Contoso, C=US`. */
  subject: z.string(),
  issuer: z.string(),
  /** The subjectAltName DNS names, as the certificate lists them. */
  sans: z.array(z.string()),
  notBefore: z.iso.datetime(),
  notAfter: z.iso.datetime(),
  /** Whole days until notAfter: 0 on the last day, negative once expired. */
  daysLeft: z.number().int(),
  /** Upper-case hex without separators. */
  fingerprintSha256: z.string().regex(/^[0-9A-F]{64}$/),
  /** SHA-1, upper-case hex: what Get-ExchangeCertificate calls the Thumbprint; absent in results of older versions. */
  thumbprint: z
    .string()
    .regex(/^[0-9A-F]{40}$/)
    .optional(),
  /** The chain verifies against the system roots (or the `ca` the probe was given); the host name is not part of it. */
  chainValid: z.boolean(),
  /** OpenSSL's reason when it does not, e.g. `UNABLE_TO_VERIFY_LEAF_SIGNATURE`, `CERT_HAS_EXPIRED`. */
  chainError: z.string().optional(),
});

export const probeResultSchema = z.object({
  host: z.string(),
  port: z.number().int().min(1).max(65535),
  /** The 220 greeting's text, its lines joined by `\n` without the codes. */
  banner: z.string(),
  /** The EHLO reply's lines without the codes: the greeting line, then the extensions. */
  ehlo: z.array(z.string()),
  starttls: z.boolean(),
  /** The banner or EHLO reply is masked as an inspecting firewall (Cisco PIX/ASA SMTP inspection) masks it. */
  ehloMasked: z.boolean(),
  /** As node names them: `TLSv1.3`, `TLSv1.2`, `TLSv1.1`, `TLSv1`. */
  tlsVersion: z.string().optional(),
  /** The IANA name, e.g. `TLS_AES_256_GCM_SHA384`. */
  cipher: z.string().optional(),
  /** Whether a handshake at TLS 1.2 or later succeeds (Exchange Online requires it); absent when it could not be told. */
  tls12OrLater: z.boolean().optional(),
  certificate: probeCertificateSchema.optional(),
  /** Why the probe stopped short, one line. */
  error: z.string().optional(),
  /** The step it stopped at: `connect` means the probe could not reach the server at all, which says nothing of its certificate. */
  failedAt: z.enum(PROBE_STEPS).optional(),
  durationMs: z.number().int().nonnegative(),
  /** When the probe ran; absent in results of older versions, which are as old as the document that carries them. */
  probedAt: z.iso.datetime().optional(),
});

export type ProbeCertificate = z.infer<typeof probeCertificateSchema>;
export type ProbeResult = z.infer<typeof probeResultSchema>;
