/** The JSON Schema published for editors, generated from the same zod schema that validates files. */
import { z } from 'zod';
import { API_VERSION, scenarioSchema } from './v1alpha1.ts';

export function scenarioJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(scenarioSchema, { io: 'input', unrepresentable: 'any' });
  return {
    ...schema,
    $id: `https://probelab.dev/schemas/${API_VERSION.split('/')[1]}/scenario.json`,
    title: 'probelab Scenario',
  };
}
