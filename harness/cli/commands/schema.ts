/** `probelab schema`: the JSON Schema of the scenario format, for editors (scenarios/scenario.schema.json). */
import { scenarioJsonSchema } from '../../config/json-schema.ts';
import { EXIT, type IO } from '../io.ts';

export function schemaCommand(io: IO): number {
  io.stdout.write(`${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`);
  return EXIT.ok;
}
