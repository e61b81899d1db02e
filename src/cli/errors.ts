import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ServiceError,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  isGrpcDeadlineError,
  isGrpcServiceError,
} from '@temporalio/client';
import { ZodError } from 'zod';
import { describeIssues } from '../campaign/options';
import { KoophoneError } from '../koophone/errors';
import { SourceError } from '../sources/source-error';
import { CliError, EXIT } from './exit-codes';

// gRPC status codes (numbers, so the CLI does not import @grpc/grpc-js directly).
const GRPC = {
  DEADLINE_EXCEEDED: 4,
  INVALID_ARGUMENT: 3,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  FAILED_PRECONDITION: 9,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

function grpcCode(err: unknown): number | undefined {
  if (isGrpcServiceError(err)) return err.code;
  if (err instanceof ServiceError && err.cause) return grpcCode(err.cause);
  return undefined;
}

/** The server's own message without the gRPC prefix ("3 INVALID_ARGUMENT: …"). */
function serverMessage(err: Error): string {
  const inner = err instanceof ServiceError && err.cause ? err.cause : err;
  const details = (inner as { details?: unknown }).details;
  return typeof details === 'string' && details ? details : inner.message.replace(/^\d+ [A-Z_]+: /, '');
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, '; ').trim();
}

/**
 * Turns anything thrown below the CLI into the one-line explanation and exit code of the
 * operator contract. Unknown errors keep their message; `--debug` shows their stack.
 */
export function toCliError(err: unknown): CliError {
  if (err instanceof CliError) return err;
  if (err instanceof SourceError) return new CliError(EXIT.usage, err.message, { cause: err });
  if (err instanceof ZodError) return new CliError(EXIT.usage, oneLine(describeIssues(err)), { cause: err });
  if (err instanceof WorkflowNotFoundError) {
    return new CliError(EXIT.usage, `no campaign ${err.workflowId ?? ''}`.trim(), { cause: err });
  }
  if (err instanceof WorkflowExecutionAlreadyStartedError) {
    return new CliError(
      EXIT.usage,
      `a campaign with id ${err.workflowId} already exists; choose another --campaign-id`,
      {
        cause: err,
      },
    );
  }
  if (err instanceof ScheduleNotFoundError)
    return new CliError(EXIT.usage, `no schedule ${err.scheduleId}`, { cause: err });
  if (err instanceof ScheduleAlreadyRunning) {
    return new CliError(EXIT.usage, `a schedule named ${err.scheduleId} already exists`, { cause: err });
  }
  if (err instanceof WorkflowUpdateFailedError) {
    // The workflow's validator refused the request ("already paused", "has already ended").
    return new CliError(EXIT.usage, err.cause?.message ?? err.message, { cause: err });
  }
  if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError || isGrpcDeadlineError(err)) {
    return new CliError(
      EXIT.unreachable,
      'the Temporal server or a worker did not answer in time (is `koophone-reset worker` running on this task queue?)',
      { cause: err },
    );
  }
  if (err instanceof KoophoneError) {
    // An endpoint that does not answer is infrastructure; a refused token or request is configuration.
    const down = err.errorClass === 'retryable' || err.errorClass === 'throttled';
    return new CliError(down ? EXIT.unreachable : EXIT.usage, `KooPhone: ${oneLine(err.message)}`, {
      cause: err,
    });
  }
  const code = grpcCode(err);
  if (code !== undefined && err instanceof Error) {
    const message = oneLine(serverMessage(err));
    switch (code) {
      case GRPC.UNAVAILABLE:
      case GRPC.DEADLINE_EXCEEDED:
        return new CliError(EXIT.unreachable, `Temporal server unavailable: ${message}`, { cause: err });
      case GRPC.PERMISSION_DENIED:
      case GRPC.UNAUTHENTICATED:
        return new CliError(EXIT.unreachable, `Temporal server refused the credentials: ${message}`, {
          cause: err,
        });
      case GRPC.INVALID_ARGUMENT:
      case GRPC.NOT_FOUND:
      case GRPC.ALREADY_EXISTS:
      case GRPC.FAILED_PRECONDITION:
        return new CliError(EXIT.usage, `Temporal refused the request: ${message}`, { cause: err });
    }
  }
  const message = err instanceof Error ? err.message : String(err);
  return new CliError(EXIT.failures, oneLine(message), { cause: err });
}
