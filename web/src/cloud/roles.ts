// roles.ts - what each role may do in a workspace, as the pages show it. The server's
// permission table (src/cloud/perm.c) decides; this only hides what would be refused.

import type { Me, Role } from './api';

export interface Workspace {
  id: string;
  name: string;
  role: Role;
  created_at: string;
  members?: number;
}

export interface PageProps {
  ws: Workspace;
  route: string[];
  me: Me;
  reloadMe: () => void;
}

/** Create and change pipelines, versions, schedules; pin and roll back. */
export const canEdit = (ws: Workspace) => ws.role === 'owner' || ws.role === 'editor';
/** Members, invitations, agent tokens, the audit log, deleting a pipeline. */
export const isOwner = (ws: Workspace) => ws.role === 'owner';
