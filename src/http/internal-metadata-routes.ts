// Operations view of this node's metadata image on the internal listener: its offset and a digest of
// its snapshot encoding, so that operators (and the acceptance tests) can check that every node holds
// the same image: GET /internal/v1/metadata/image.
import { createHash } from 'node:crypto';
import type { InternalServer } from '../../raft/transport/http2-transport.ts';
import type { MetadataImage } from '../metadata/image.ts';
import { encodeSnapshot } from '../metadata/snapshot.ts';

export const METADATA_IMAGE_PATH = '/internal/v1/metadata/image';

export function registerMetadataRoutes(server: InternalServer, image: () => MetadataImage): void {
  server.get(METADATA_IMAGE_PATH, async () => {
    const current = image();
    return {
      offset: current.offset,
      digest: createHash('sha256').update(encodeSnapshot(current)).digest('hex'),
      brokers: current.brokers.size,
      topics: current.topics.size,
    };
  });
}
