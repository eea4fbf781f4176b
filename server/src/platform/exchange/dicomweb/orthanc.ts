/**
 * The client of the imaging archive (Orthanc with its DICOMweb plugin). Orthanc listens on a private address with its
 * own password and is never exposed: every user request reaches it through Yiwang's /dicomweb routes (routes.ts), which
 * authenticate, check access and audit first. Only this file knows Orthanc's URL and credentials.
 */
export interface OrthancConfig {
  /** Base URL of Orthanc's REST API, e.g. http://127.0.0.1:8042 (YIWANG_ORTHANC_URL). */
  url: string;
  username?: string;
  password?: string;
  /** Path of the DICOMweb plugin's root (default /dicom-web). */
  dicomwebRoot?: string;
  /** Milliseconds before a request to Orthanc is abandoned (default 30 s). */
  timeoutMs?: number;
}

/** The archive answered with an error, or could not be reached (status 0). */
export class OrthancError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly details?: string,
  ) {
    super(message);
  }
}

export interface StoredInstance {
  /** Orthanc's id of the instance (a hash of the DICOM UIDs). */
  id: string;
  /** 'Success' for a new instance, 'AlreadyStored' when the archive held it already. */
  status: string;
  parentStudy: string;
}

/** The tags of one instance that intake needs, as Orthanc decoded them (character sets included). */
export interface InstanceTags {
  [tag: string]: string | undefined;
}

export class OrthancClient {
  private readonly base: string;
  private readonly auth?: string;
  private readonly root: string;
  private readonly timeoutMs: number;

  constructor(config: OrthancConfig) {
    this.base = config.url.replace(/\/+$/, '');
    this.auth = config.username ? `Basic ${Buffer.from(`${config.username}:${config.password ?? ''}`).toString('base64')}` : undefined;
    this.root = `/${(config.dicomwebRoot ?? '/dicom-web').replace(/^\/+|\/+$/g, '')}`;
    this.timeoutMs = config.timeoutMs ?? 30_000;
  }

  /** One request to Orthanc; network failures and timeouts become OrthancError status 0 (the caller answers 503). */
  async fetch(path: string, init: { method?: string; body?: Buffer; headers?: Record<string, string> } = {}): Promise<Response> {
    const headers: Record<string, string> = { ...(init.headers ?? {}) };
    if (this.auth) headers.authorization = this.auth;
    try {
      return await fetch(`${this.base}${path}`, {
        method: init.method ?? 'GET',
        headers,
        ...(init.body ? { body: new Blob([new Uint8Array(init.body)]) } : {}),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new OrthancError(0, `The imaging archive cannot be reached (影像存档服务不可用): ${(err as Error).message}`);
    }
  }

  private async json<T>(path: string, init: { method?: string; body?: Buffer; headers?: Record<string, string> } = {}): Promise<T> {
    const res = await this.fetch(path, init);
    const text = await res.text();
    if (!res.ok) throw new OrthancError(res.status, orthancMessage(text, res.status), text);
    return JSON.parse(text) as T;
  }

  /** Whether Orthanc answers (GET /system). */
  async ping(): Promise<boolean> {
    try {
      return (await this.fetch('/system')).ok;
    } catch {
      return false;
    }
  }

  /** Stores one DICOM Part 10 file; Orthanc refuses files it cannot parse with 400 (OrthancError). */
  async store(file: Buffer): Promise<StoredInstance> {
    const r = await this.json<{ ID: string; Status: string; ParentStudy: string }>('/instances', {
      method: 'POST',
      body: file,
      headers: { 'content-type': 'application/dicom' },
    });
    return { id: r.ID, status: r.Status, parentStudy: r.ParentStudy };
  }

  /** Main tags of an instance, names decoded from the file's character set. */
  async tags(instanceId: string): Promise<InstanceTags> {
    return this.json<InstanceTags>(`/instances/${encodeURIComponent(instanceId)}/simplified-tags`);
  }

  /** Whether the instance has a Pixel Data element (7FE0,0010): a report or a waveform has none. */
  async hasPixelData(instanceId: string): Promise<boolean> {
    const res = await this.fetch(`/instances/${encodeURIComponent(instanceId)}/content/7fe0-0010`, { method: 'GET' });
    await res.arrayBuffer();
    if (res.status === 404) return false;
    if (!res.ok) throw new OrthancError(res.status, `The archive could not read instance ${instanceId} (无法读取影像)`);
    return true;
  }

  async deleteInstance(instanceId: string): Promise<void> {
    const res = await this.fetch(`/instances/${encodeURIComponent(instanceId)}`, { method: 'DELETE' });
    await res.arrayBuffer();
    if (!res.ok && res.status !== 404) throw new OrthancError(res.status, `The archive could not delete instance ${instanceId}`);
  }

  /** A DICOMweb request passed through to the plugin (path below the DICOMweb root, query string included). */
  dicomweb(pathAndQuery: string, init: { method?: string; body?: Buffer; headers?: Record<string, string> } = {}): Promise<Response> {
    return this.fetch(`${this.root}${pathAndQuery}`, init);
  }
}

function orthancMessage(text: string, status: number): string {
  try {
    const body = JSON.parse(text) as { Message?: string; Details?: string; OrthancError?: string };
    return [body.Message ?? body.OrthancError, body.Details].filter(Boolean).join(': ') || `HTTP ${status}`;
  } catch {
    return text.slice(0, 200) || `HTTP ${status}`;
  }
}
