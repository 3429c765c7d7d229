/** Defaults shared by commands that render without a cluster. */
import { LOADED_NODE_PORTS, type RenderOptions } from '../../core/render.ts';

/** The sample service image as `probelab images build` tags it. */
export const SAMPLE_IMAGE = 'probelab.dev/sample:latest';

export const NODE_PORTS = LOADED_NODE_PORTS;

export const PREVIEW_RENDER_OPTIONS: RenderOptions = {
  runId: 'preview',
  image: SAMPLE_IMAGE,
  nodePorts: NODE_PORTS,
};
