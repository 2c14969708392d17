export { ensureSchema } from "./schema";
export { upsertInstallation, deleteInstallation, updateRepositories, listInstallations, listRepositories } from "./installations";
export { recordDelivery, finishDelivery, getDelivery, listUnfinishedDeliveries } from "./deliveries";
export type { Installation, Repository, DeliveryRecord, DeliveryStatus } from "./types";
