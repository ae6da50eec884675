/**
 * The blob side of the Table store. A document kept in Blob Storage is one
 * blob per version, written once under a name of its own and never
 * overwritten; the document's first row points to it. A reader holding a
 * pointer therefore reads that version whole, or finds the blob gone because
 * a writer replaced or deleted the document since, and reads the row again.
 */
import { createHash } from "node:crypto";
import type { ContainerClient } from "@azure/storage-blob";
import { DamagedDocumentError, StateStoreError } from "../errors.js";
import { errorCode, statusOf, storageFailure } from "./storage-errors.js";

/** What a first row records of its blob. */
export interface BlobRef {
  name: string;
  bytes: number;
  /** Base64 SHA-256 of the blob: a blob replaced or cut short out of band reads as damage, not as a document. */
  sha256: string;
}

export class BlobBodies {
  private readonly container: ContainerClient;
  private containerReady: Promise<void> | undefined;

  constructor(container: ContainerClient) {
    this.container = container;
  }

  /** Writes a new blob; a name is only ever used by one version, so an existing blob is never replaced. */
  async upload(name: string, body: Buffer, where: string): Promise<BlobRef> {
    await this.ready();
    try {
      await this.container.getBlockBlobClient(name).uploadData(body, {
        blobHTTPHeaders: { blobContentType: "application/json; charset=utf-8" },
        conditions: { ifNoneMatch: "*" },
      });
    } catch (error) {
      throw this.failure(`could not write ${where}`, error);
    }
    return { name, bytes: body.length, sha256: sha256(body) };
  }

  /** The blob's bytes, checked against its row; undefined when it is not there (any more). */
  async download(ref: BlobRef, where: string): Promise<Buffer | undefined> {
    const damaged = new DamagedDocumentError(`${where} is damaged: its blob does not hold the ${ref.bytes} bytes its row describes`);
    try {
      const response = await this.container.getBlobClient(ref.name).download();
      const stream = response.readableStreamBody;
      if (response.contentLength !== ref.bytes || !stream) throw damaged;
      // One buffer of the size the row gives, filled as the answer streams in: no copies to grow it.
      const body = Buffer.allocUnsafe(ref.bytes);
      let filled = 0;
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        if (filled + chunk.length > body.length) throw damaged;
        filled += chunk.copy(body, filled);
      }
      if (filled !== body.length || sha256(body) !== ref.sha256) throw damaged;
      return body;
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw this.failure(`could not read ${where}`, error);
    }
  }

  /** False when the blob was not there. */
  async remove(name: string, what: string): Promise<boolean> {
    try {
      return (await this.container.getBlobClient(name).deleteIfExists()).succeeded;
    } catch (error) {
      throw this.failure(`could not delete ${what}`, error);
    }
  }

  /** The names under `prefix` of blobs last written before `before`. */
  async writtenBefore(prefix: string, before: Date): Promise<string[]> {
    const names: string[] = [];
    try {
      for await (const blob of this.container.listBlobsFlat({ prefix })) if (blob.properties.lastModified < before) names.push(blob.name);
    } catch (error) {
      if (isContainerNotFound(error)) return [];
      throw this.failure(`could not list the blobs under ${prefix}`, error);
    }
    return names;
  }

  /** Creates the container once per instance; a failure is tried again next call. */
  private ready(): Promise<void> {
    this.containerReady ??= this.container.createIfNotExists().then(
      () => undefined,
      (error: unknown) => {
        this.containerReady = undefined;
        throw storageFailure("Blob Storage", `could not create the container ${this.container.containerName}`, error);
      },
    );
    return this.containerReady;
  }

  /** Our error for a failed call; a vanished container is created again on the next call. */
  private failure(message: string, error: unknown): StateStoreError {
    if (isContainerNotFound(error)) {
      this.containerReady = undefined;
      return new StateStoreError(`Blob Storage: ${message}: the container ${this.container.containerName} does not exist (deleted while in use?)`, {
        cause: error,
      });
    }
    return storageFailure("Blob Storage", message, error);
  }
}

function isContainerNotFound(error: unknown): boolean {
  return statusOf(error) === 404 && errorCode(error) === "ContainerNotFound";
}

function sha256(body: Buffer): string {
  return createHash("sha256").update(body).digest("base64");
}
