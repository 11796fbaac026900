/**
 * An image Docker 20.10 loaded and saved on the benchmark host, with what its `docker save` wrote: a config
 * with the fields and characters that Docker's legacy v1 IDs depend on (times with trailing zeros, `<>&`,
 * maps with keys out of order, omitempty fields), two layers, and a parent image of one layer.
 */
import { buildTar } from './tarbuild.js';

export const BASE_LAYER = buildTar([{ name: 'etc/', type: '5' }, { name: 'etc/hostname', body: 'base\n' }, { name: 'sh', type: '2', linkname: 'busybox' }]);
export const TOP_LAYER = buildTar([{ name: 'app/', type: '5' }, { name: 'app/run', body: 'echo <&>\n', mode: 0o755 }]);

const history = [
  { created: '2024-01-02T03:04:05.100Z', created_by: '/bin/sh -c #(nop) ADD file:base in /', comment: 'a & b' },
  { created: '2024-01-02T03:04:05.600Z', created_by: 'sh -c echo <&>', author: 'me <me@example.com>' },
];

export const PARENT_CONFIG = {
  architecture: 'amd64', os: 'linux', created: '2024-01-02T03:04:05.100Z', comment: 'a & b', docker_version: '20.10.24',
  config: { Env: ['PATH=/bin'], Cmd: ['sh'], Labels: { b: '2', a: '1' } },
  history: history.slice(0, 1),
};

export const CHILD_CONFIG = {
  architecture: 'amd64', os: 'linux', created: '2024-01-02T03:04:05.600+00:00', author: 'me <me@example.com>', container: 'abc',
  docker_version: '20.10.24',
  config: {
    User: 'nobody', Env: ['A=<x>&y'], Cmd: ['sh', '-c', 'echo <&>'], ExposedPorts: { '80/tcp': {}, '53/udp': {} },
    Labels: { b: '2', a: '1', 10: 'x', 9: 'y' }, Volumes: { '/v': {} }, WorkingDir: '/w', StopSignal: 'SIGKILL',
    Healthcheck: { Test: ['CMD', 'true'], Interval: 1000000000 }, Shell: ['/bin/sh', '-c'], OnBuild: null,
  },
  container_config: { Cmd: ['sh'] },
  history,
};

/** What Docker 20.10's `docker save docker-fix:child docker-fix:parent` wrote for these images. */
export const DOCKER_SAVED = {
  /** Each image's layer directories (v1 IDs), base first. */
  parentLayers: ['0d60c7d2edb3a2df49ac8f88478644cd05a242c986bdfd3164e5bc085e5cd729'],
  childLayers: ['be3ac302d524b224154771519a872dde9af98406f62a72884b0f2fdb15477282', '134abfe7f2c51d7bc4b6f8f8835d5a4a6a3c985a5c536a092a3c28a31d0a7c2e'],
  /** The child's base layer is the parent's tar again: a symlink to the first copy. */
  link: '../0d60c7d2edb3a2df49ac8f88478644cd05a242c986bdfd3164e5bc085e5cd729/layer.tar',
  repositories: '{"docker-fix":{"child":"134abfe7f2c51d7bc4b6f8f8835d5a4a6a3c985a5c536a092a3c28a31d0a7c2e","parent":"0d60c7d2edb3a2df49ac8f88478644cd05a242c986bdfd3164e5bc085e5cd729"}}\n',
  childTopJson: '{"id":"134abfe7f2c51d7bc4b6f8f8835d5a4a6a3c985a5c536a092a3c28a31d0a7c2e","parent":"be3ac302d524b224154771519a872dde9af98406f62a72884b0f2fdb15477282","created":"2024-01-02T03:04:05.6Z","container":"abc","container_config":{"Hostname":"","Domainname":"","User":"","AttachStdin":false,"AttachStdout":false,"AttachStderr":false,"Tty":false,"OpenStdin":false,"StdinOnce":false,"Env":null,"Cmd":["sh"],"Image":"","Volumes":null,"WorkingDir":"","Entrypoint":null,"OnBuild":null,"Labels":null},"docker_version":"20.10.24","author":"me \\u003cme@example.com\\u003e","config":{"Hostname":"","Domainname":"","User":"nobody","AttachStdin":false,"AttachStdout":false,"AttachStderr":false,"ExposedPorts":{"53/udp":{},"80/tcp":{}},"Tty":false,"OpenStdin":false,"StdinOnce":false,"Env":["A=\\u003cx\\u003e\\u0026y"],"Cmd":["sh","-c","echo \\u003c\\u0026\\u003e"],"Healthcheck":{"Test":["CMD","true"],"Interval":1000000000},"Image":"","Volumes":{"/v":{}},"WorkingDir":"/w","Entrypoint":null,"OnBuild":null,"Labels":{"10":"x","9":"y","a":"1","b":"2"},"StopSignal":"SIGKILL","Shell":["/bin/sh","-c"]},"architecture":"amd64","os":"linux"}',
  childBaseJson: '{"id":"be3ac302d524b224154771519a872dde9af98406f62a72884b0f2fdb15477282","created":"1970-01-01T00:00:00Z","container_config":{"Hostname":"","Domainname":"","User":"","AttachStdin":false,"AttachStdout":false,"AttachStderr":false,"Tty":false,"OpenStdin":false,"StdinOnce":false,"Env":null,"Cmd":null,"Image":"","Volumes":null,"WorkingDir":"","Entrypoint":null,"OnBuild":null,"Labels":null},"os":"linux"}',
};
