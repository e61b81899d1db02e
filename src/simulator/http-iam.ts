import type { FastifyInstance } from 'fastify';
import { iamPasswordRequestSchema } from '../koophone/schemas';
import type { SimulatorModel } from './model';
import type { TokenRegistry } from './tokens';

const iamError = (code: number, title: string, message: string) => ({
  error: { code: String(code), title, message },
});

/** Huawei Cloud IAM's password grant, enough of it for the client's token provider. */
export function registerIamRoutes(
  app: FastifyInstance,
  { model, tokens }: { model: SimulatorModel; tokens: TokenRegistry },
): void {
  app.post('/v3/auth/tokens', async (request, reply) => {
    const now = Date.now();
    model.stats.recordCall('iamToken', performance.now());
    const signIn = (granted: boolean) =>
      model.recordSignIn({ at: now, door: request.socket.localPort ?? 0, granted });
    let json: unknown;
    try {
      json = JSON.parse(typeof request.body === 'string' ? request.body : '');
    } catch {
      signIn(false);
      return reply.code(400).send(iamError(400, 'Bad Request', 'The request body is not valid JSON.'));
    }
    const parsed = iamPasswordRequestSchema.safeParse(json);
    if (!parsed.success) {
      signIn(false);
      return reply.code(400).send(iamError(400, 'Bad Request', 'The request body is invalid.'));
    }
    const { user } = parsed.data.auth.identity.password;
    if (user.name !== model.options.iamUser || user.password !== model.options.iamPassword) {
      signIn(false);
      return reply.code(401).send(iamError(401, 'Unauthorized', 'The username or password is wrong.'));
    }
    signIn(true);
    const issued = tokens.issue(now);
    return reply
      .code(201)
      .header('x-subject-token', issued.token)
      .send({
        token: {
          expires_at: new Date(issued.expiresAt).toISOString(),
          issued_at: new Date(now).toISOString(),
          methods: ['password'],
          user: { name: user.name, domain: { name: user.domain.name } },
        },
      });
  });
}
