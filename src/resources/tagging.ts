import { ownedTags, syncTags, type Tags } from "../aws/tags.js";
import { stackTags } from "../config/names.js";
import type { Live, Outputs, RefFn } from "../engine/types.js";
import type { DesiredStack, StackResource } from "./context.js";

type WithTags = { tags: Tags };

/**
 * A taggable kind as its file writes it: what it wants without the stack's tags (it may add tags of its own,
 * as the service's "asleep" tag), observed with the tags AWS holds, its update never given "tags".
 */
export type TaggableKind<W extends WithTags, A extends WithTags, O extends Outputs> = Omit<StackResource<W, A, O>, "desired"> & {
  desired(spec: DesiredStack, ref: RefFn): Omit<W, "tags"> & Partial<WithTags>;
  /** What the tag calls name, where that is not `live.id` (the ARN of a resource whose id is its name). */
  tagTarget?(live: Live<A, O>): string;
};

/**
 * Tagging, once for every kind (crossplane's tagger initializer): what a kind wants carries the stack's tags
 * (`stackTags`: the user's, then ours), what it observes keeps only the tags this tool owns (`ownedTags`: tags
 * others added are never drift), and a change of tags is the service's tag calls (`syncTags`), after the
 * kind's own update of its other fields. The kind's create passes `want.tags` in the create call itself: AWS
 * tags at create, so nothing is ever untagged, even for a moment.
 */
export function tagged<W extends WithTags, A extends WithTags, O extends Outputs>(kind: TaggableKind<W, A, O>): StackResource<W, A, O> {
  const service = kind.tagging;
  if (service === "none") throw new Error(`${kind.key}: a kind AWS keeps no tags on is not tagged()`);
  return {
    ...kind,
    desired: (spec, ref) => {
      const want = kind.desired(spec, ref);
      return { ...want, tags: { ...stackTags(spec, kind.key), ...want.tags } } as W;
    },
    async observe(ctx, prior) {
      const live = await kind.observe(ctx, prior);
      if (!live) return undefined;
      const own = (l: Live<A, O>): Live<A, O> => ({ ...l, attrs: { ...l.attrs, tags: ownedTags(l.attrs.tags, ctx.spec) } });
      return live.duplicates ? { ...own(live), duplicates: live.duplicates.map(own) } : own(live);
    },
    async update(ctx, want, live, changed) {
      const fields = changed.filter((f) => f !== "tags");
      const remembered = fields.length && kind.update ? await kind.update(ctx, want, live, fields) : undefined;
      if (changed.includes("tags")) await syncTags(ctx.aws, service, kind.tagTarget?.(live) ?? live.id, want.tags, live.attrs.tags);
      return remembered;
    },
  };
}
