export { memoryAuthState, type MemoryAuthState } from './memory-auth-state.ts'
export { connectClient, type TestClient, type SimEndpoint } from './baileys-client.ts'
export { connectLinked, type LinkedClient } from './linked-client.ts'
export { simMediaDispatcher } from './media.ts'
