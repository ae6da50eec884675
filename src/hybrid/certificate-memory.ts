import { z } from "zod";
import { partUnavailable } from "./deployment.js";
import type { HybridState } from "./hybrid-state.js";
import { certificatesNamed, certificatesWithSubject, judgedReferences, referencesWithoutCertificates, serverCertificates } from "./references.js";

/**
 * Which certificate each reference (a connector, the hybrid configuration)
 * meant at the tenant's last checks, kept with its finding state: what tells
 * a renewal apart from a certificate that was always there. When no
 * certificate answers a reference's name any more, the certificates with its
 * subject stand in: the renewal it should have followed.
 */
export const certificateMemorySchema = z.record(
  z.string(),
  z.object({
    thumbprints: z.array(z.string()),
    /** When the thumbprints last changed, and what they were before. */
    changedAt: z.iso.datetime().optional(),
    previous: z.array(z.string()).optional(),
  }),
);

export type CertificateMemory = z.infer<typeof certificateMemorySchema>;

/** The memory after a check: each reference's certificates now, with the last change kept until the next one. */
export function rememberCertificates(previous: CertificateMemory | undefined, state: HybridState, at: Date): CertificateMemory {
  // Certificates that were not collected this time say nothing of what changed: the memory stays as it was.
  if (partUnavailable(state, "onPremises.exchangeCertificates")) return previous ?? {};
  const next: CertificateMemory = {};
  // A reference whose server's certificates are missing keeps what it meant before.
  for (const ref of referencesWithoutCertificates(state).references) {
    const before = previous?.[ref.key];
    if (before) next[ref.key] = before;
  }
  for (const ref of judgedReferences(state)) {
    const candidates = serverCertificates(state, ref.servers);
    const named = certificatesNamed(ref.name, candidates);
    const meant = named.length > 0 ? named : certificatesWithSubject(ref.name, candidates);
    const thumbprints = [...new Set(meant.map((c) => c.thumbprint))].sort();
    if (thumbprints.length === 0) continue;
    const before = previous?.[ref.key];
    const same = before !== undefined && before.thumbprints.join() === thumbprints.join();
    if (!before || same) next[ref.key] = before ?? { thumbprints };
    else next[ref.key] = { thumbprints, changedAt: at.toISOString(), previous: before.thumbprints };
  }
  return next;
}
