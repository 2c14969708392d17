/** Rows the store hands to other rooms. */

export interface Installation {
  id: number;
  accountLogin: string;
  accountType: string;
  repositorySelection: string | null;
  suspendedAt: string | null;
}

export interface Repository {
  id: number;
  installationId: number;
  fullName: string;
  private: boolean;
}

export type DeliveryStatus = "accepted" | "processed" | "failed";

export interface DeliveryRecord {
  id: string;
  instanceId: string;
  event: string;
  action: string | null;
  installationId: number | null;
  repository: string | null;
  receivedAt: string;
  status: DeliveryStatus;
  processedAt: string | null;
  error: string | null;
}
