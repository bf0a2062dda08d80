// One request made to the API server, as `-v` shows it and the stats count it.
export interface RequestRecord {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  status?: number;
  error?: string;
  bytes: number;
  ms: number;
  attempt: number;
}
