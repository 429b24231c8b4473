export { DeliveryLogPage } from './delivery-log-page.tsx';
