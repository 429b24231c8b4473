export { memoryAuthState, type MemoryAuthState } from './memory-auth-state.ts'
export { connectClient, type TestClient } from './baileys-client.ts'
