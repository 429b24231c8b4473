// Per-user messaging settings for every consumer in the connector (pacing, default country, typing,
// history import, media cap, paused). One SettingsCache per process, created in runtime.ts.
export { SettingsCache, type SettingsListener } from './settings-cache.ts';
export { defaultSettings, effectiveSettings, type EffectiveSettings, type SettingsDefaults } from './effective.ts';
