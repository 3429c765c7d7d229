/** Defaults shared by commands that render without a cluster. */
import type { RenderOptions } from '../../core/render.ts';

/** The sample service image as `probelab images build` tags it. */
export const SAMPLE_IMAGE = 'probelab.dev/sample:latest';

/** NodePorts that kind-config.yaml maps to 127.0.0.1, handed to loaded variants in order. */
export const NODE_PORTS = [30080, 30081, 30082, 30083, 30084, 30085, 30086, 30087];

export const PREVIEW_RENDER_OPTIONS: RenderOptions = {
  runId: 'preview',
  image: SAMPLE_IMAGE,
  nodePorts: NODE_PORTS,
};
