// The save-time check of webhook endpoints (the connector checks resolved addresses again at delivery).
import { checkWebhookUrl } from '../../_shared/webhook-url.ts';
import { assertEquals } from './assert.ts';

Deno.test('webhook URLs: public http(s) endpoints are accepted', () => {
  for (const url of ['https://crm.example.com/hooks', 'http://93.184.216.34:8080/x', 'https://[2001:db8::1]/h']) {
    assertEquals(checkWebhookUrl(url, false), null, url);
  }
});

Deno.test('webhook URLs: loopback, private, link-local and local names are refused unless allowed', () => {
  const refused = ['http://127.0.0.1:9/h', 'http://127.1/h', 'http://localhost:3000', 'http://api.localhost/', 'http://10.1.2.3/',
    'http://172.20.0.1/', 'http://192.168.1.1/', 'http://169.254.169.254/latest', 'http://[::1]/', 'http://[fd00::1]/',
    'http://[::ffff:127.0.0.1]/', 'http://0.0.0.0/', 'http://printer.local/', 'http://2130706433/'];
  for (const url of refused) {
    assertEquals(checkWebhookUrl(url, false), 'private', url);
    assertEquals(checkWebhookUrl(url, true), null, `${url} when allowed`);
  }
});

Deno.test('webhook URLs: other schemes, garbage and credentials are refused', () => {
  assertEquals(checkWebhookUrl('ftp://crm.example.com/', false), 'invalid');
  assertEquals(checkWebhookUrl('not a url', true), 'invalid');
  assertEquals(checkWebhookUrl('https://user:pw@crm.example.com/', true), 'credentials');
});
