// Every call the interface makes goes through here: the node's public REST API (docs/api.md),
// authenticated by the session cookie of POST /api/users/login. A refused call throws an
// ApiError carrying the node's own message, which the pages show as it is.

export class ApiError extends Error {
  constructor(
    public status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Called when the node answers 401: the session is gone, show the sign-in page. */
let onUnauthorized: () => void = () => {};
export function setUnauthorizedHandler(f: () => void) {
  onUnauthorized = f;
}

async function failure(response: Response): Promise<ApiError> {
  const text = (await response.text()).trim();
  return new ApiError(response.status, text || `${response.status} ${response.statusText}`);
}

export async function request(method: string, path: string, body?: unknown): Promise<Response> {
  const init: RequestInit = { method, credentials: 'same-origin', headers: {} };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    (init.headers as Record<string, string>)['Content-Type'] = 'application/json';
  }
  let response: Response;
  try {
    response = await fetch('/api' + path, init);
  } catch (e) {
    throw new ApiError(0, 'The node cannot be reached: ' + String(e));
  }
  if (!response.ok) {
    const error = await failure(response);
    if (response.status === 401 && path !== '/users/login') onUnauthorized();
    throw error;
  }
  return response;
}

/** A JSON answer (or undefined for 204). */
export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await request(method, path, body);
  if (response.status === 204) return undefined as T;
  const type = response.headers.get('Content-Type') ?? '';
  if (type.startsWith('application/json')) return (await response.json()) as T;
  return (await response.text()) as unknown as T;
}

export const get = <T>(path: string) => api<T>('GET', path);
export const post = <T>(path: string, body?: unknown) => api<T>('POST', path, body);
export const del = (path: string) => api<void>('DELETE', path);

/** A query string from the defined values. */
export function query(params: Record<string, string | number | boolean | undefined>): string {
  const parts = Object.entries(params)
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`);
  return parts.length ? '?' + parts.join('&') : '';
}

/** The message to show for anything a call threw. */
export function messageOf(e: unknown): string {
  if (e instanceof ApiError) return e.status ? `${e.message} (${e.status})` : e.message;
  return String(e);
}

// Entities as the node writes them (docs/api.md#metadata).
export type Value = { value: string } | undefined;
export const v = (x: Value) => x?.value ?? '';

export interface User {
  id: number;
  user: string;
  role: 'SUPERUSER' | 'ADMINISTRATOR' | 'USER';
}
export interface Patient {
  id: number;
  patientName?: Value;
  patientID?: Value;
  patientBirthDate?: Value;
  patientSex?: Value;
}
export interface Study {
  id: number;
  patientId: number;
  studyInstanceUID?: Value;
  studyDescription?: Value;
  studyDate?: Value;
  studyID?: Value;
  accessionNumber?: Value;
  patientAge?: Value;
}
export interface Series {
  id: number;
  studyId: number;
  seriesInstanceUID?: Value;
  seriesDescription?: Value;
  seriesDate?: Value;
  modality?: Value;
  protocolName?: Value;
  bodyPartExamined?: Value;
  manufacturer?: Value;
}
export interface Image {
  id: number;
  seriesId: number;
  sopInstanceUID?: Value;
  imageType?: Value;
  instanceNumber?: Value;
}
export interface ConfidentialityOption {
  name: string;
  title: string;
  description: string;
  rank: number;
}
/** An anonymization profile: the PS3.15 options on top of the basic profile (docs/api.md#anonymization). */
export interface Profile {
  options: { name: string }[];
}
export interface Box {
  id: number;
  name: string;
  token: string;
  baseUrl: string;
  sendMethod: string;
  online: boolean;
  defaultProfile?: Profile;
}
export interface Scu {
  id: number;
  name: string;
  aeTitle: string;
  host: string;
  port: number;
}
export interface OutgoingTransaction {
  id: number;
  boxId: number;
  boxName: string;
  profile?: Profile;
  sentImageCount: number;
  totalImageCount: number;
  skippedImageCount?: number;
  created: number;
  updated: number;
  status: string;
  lastError?: string;
}
export interface IncomingTransaction {
  id: number;
  boxId: number;
  boxName: string;
  receivedImageCount: number;
  addedImageCount: number;
  totalImageCount: number;
  created: number;
  updated: number;
  status: string;
  lastError?: string;
}
export interface AnonymizationKey {
  id: number;
  created: number;
  imageId: number;
  patientName: string;
  anonPatientName: string;
  patientID: string;
  anonPatientID: string;
  studyInstanceUID: string;
  anonStudyInstanceUID: string;
  seriesInstanceUID: string;
  anonSeriesInstanceUID: string;
  sopInstanceUID: string;
  anonSOPInstanceUID: string;
}
export interface LogEntry {
  id: number;
  created: number;
  entryType: string;
  subject: string;
  message: string;
}

export const isAdmin = (u: User | null) => u?.role === 'SUPERUSER' || u?.role === 'ADMINISTRATOR';

/** A tag path as the node writes it (docs/api.md#tag-paths): the leaf, its parents in `previous`. */
export interface TagPath {
  tag: number;
  name?: string;
  item?: number | string;
  previous?: TagPath;
}

export const hexTag = (t: number) =>
  '(' +
  (t >>> 16).toString(16).padStart(4, '0').toUpperCase() +
  ',' +
  (t & 0xffff).toString(16).padStart(4, '0').toUpperCase() +
  ')';

/** The string form: `DerivationCodeSequence[1].PatientID`, or with `hex` `(0008,9215)[1].(0010,0020)`. */
export function tagPathText(p: TagPath | undefined, hex = false): string {
  if (!p || typeof p !== 'object') return '';
  const step = (hex ? hexTag(p.tag) : p.name || hexTag(p.tag)) + (p.item !== undefined ? `[${p.item}]` : '');
  return p.previous ? tagPathText(p.previous, hex) + '.' + step : step;
}
