// Public surface of @haven/testkit: real-server launchers (tests and the local stack), the
// infrastructure bundle, and the OpenAI-compatible stub. The vitest globalSetup is consumed by
// path (dist/global-setup.js), not through this index.
export {
  startNatsServer,
  startRedisServer,
  startFerretDb,
  ferretDbUrl,
  type ServerName,
  type RunningServer,
  type RunningNatsServer,
  type ServerLaunchOptions,
  type NatsServerOptions,
  type RedisServerOptions,
  type FerretDbOptions,
} from './servers';
export {
  startInfra,
  type Infra,
  type InfraEnv,
  type InfraOptions,
  type InfraOrigin,
  type InfraRole,
  type InfraServer,
} from './infra';
export {
  launchProcess,
  findFreePort,
  resolveBinary,
  defaultBinDirs,
  findRepoRoot,
  MissingBinaryError,
  ProcessStartupError,
  type LaunchSpec,
  type LaunchedProcess,
  type ProcessExit,
  type OutputStream,
} from './process-launcher';
export {
  startOpenAIStub,
  echoReply,
  MODERATION_CATEGORIES,
  type OpenAIStub,
  type OpenAIStubOptions,
  type OpenAIStubBehaviour,
  type ChatBehaviour,
  type ModerationBehaviour,
  type StubFailure,
  type ReplyFunction,
  type ModerationFunction,
  type ModerationVerdict,
  type ModerationCategory,
  type RecordedRequest,
  type StubChatRequest,
  type StubChatMessage,
  type StubEndpoint,
} from './openai-stub';
export {
  startPlatform,
  SERVICE_NAMES,
  LOCAL_PORTS,
  LOCAL_HTTP_PORT,
  type ServiceName,
  type PlatformOptions,
  type RunningPlatform,
  type RunningService,
} from './platform';
export { inMemoryDataKeys } from './data-keys';
export type { DataKeyAnswer, InMemoryDataKeys } from './data-keys';
export { eventually } from './eventually';
export { rejection } from './rejection';
