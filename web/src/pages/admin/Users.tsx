/** Users and roles: list, create, change roles, enable/disable (GET/POST/PATCH /admin/users). */
import { useState } from 'react';
import { App, Button, Card, Form, Input, Modal, Select, Space, Table, Tag } from 'antd';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../../api/client';
import { useOrganizations } from '../../hooks';
import { ALL_ROLES, useI18n } from '../../i18n';

interface User {
  id: string;
  username: string;
  displayName?: string;
  roles: string[];
  organizationId?: string;
  status: 'active' | 'disabled';
}

interface NewUser {
  username: string;
  password: string;
  displayName?: string;
  roles: string[];
  organizationId?: string;
}

export default function Users() {
  const { t, roleName } = useI18n();
  const { message } = App.useApp();
  const qc = useQueryClient();
  const orgs = useOrganizations();
  const [creating, setCreating] = useState(false);
  const [form] = Form.useForm<NewUser>();
  const users = useQuery({ queryKey: ['admin-users'], queryFn: async () => (await api<{ users: User[] }>('/admin/users')).users });
  const create = useMutation({
    mutationFn: (u: NewUser) => api<User>('/admin/users', { method: 'POST', body: u }),
    onSuccess: () => {
      setCreating(false);
      form.resetFields();
      void message.success(t('created'));
      void qc.invalidateQueries({ queryKey: ['admin-users'] });
    },
    onError: (e) => void message.error((e as Error).message),
  });
  const patch = useMutation({
    mutationFn: ({ id, body }: { id: string; body: Partial<User> }) => api<User>(`/admin/users/${id}`, { method: 'PATCH', body }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['admin-users'] }),
    onError: (e) => void message.error((e as Error).message),
  });
  const roleOptions = ALL_ROLES.map((r) => ({ value: r, label: roleName(r) }));
  const orgOptions = [...(orgs.data?.values() ?? [])].map((o) => ({ value: o.id!, label: o.name ?? o.id }));
  return (
    <Card
      title={t('users')}
      extra={
        <Button type="primary" onClick={() => setCreating(true)} data-testid="create-user">
          {t('createUser')}
        </Button>
      }
    >
      <Table<User>
        data-testid="users"
        size="small"
        rowKey="id"
        loading={users.isLoading}
        dataSource={users.data ?? []}
        pagination={{ pageSize: 20, hideOnSinglePage: true, size: 'small' }}
        scroll={{ x: 'max-content' }}
        columns={[
          { title: t('username'), key: 'u', dataIndex: 'username' },
          { title: t('displayName'), key: 'n', dataIndex: 'displayName' },
          {
            title: t('roles'),
            key: 'r',
            render: (_, u) => (
              <Select
                mode="multiple"
                size="small"
                style={{ minWidth: 180 }}
                value={u.roles}
                options={roleOptions}
                onChange={(roles: string[]) => roles.length && patch.mutate({ id: u.id, body: { roles } })}
              />
            ),
          },
          { title: t('organization'), key: 'o', render: (_, u) => orgs.data?.get(u.organizationId ?? '')?.name ?? u.organizationId ?? '—' },
          {
            title: t('status'),
            key: 's',
            render: (_, u) => (
              <Space>
                <Tag color={u.status === 'active' ? 'green' : 'default'}>{t(u.status)}</Tag>
                <Button
                  size="small"
                  onClick={() => patch.mutate({ id: u.id, body: { status: u.status === 'active' ? 'disabled' : 'active' } })}
                >
                  {u.status === 'active' ? t('disable') : t('enable')}
                </Button>
              </Space>
            ),
          },
        ]}
      />
      <Modal
        open={creating}
        title={t('createUser')}
        onCancel={() => setCreating(false)}
        onOk={() => form.submit()}
        confirmLoading={create.isPending}
      >
        <Form<NewUser> form={form} layout="vertical" onFinish={(v) => create.mutate(v)}>
          <Form.Item name="username" label={t('username')} rules={[{ required: true }]}>
            <Input id="new-username" />
          </Form.Item>
          <Form.Item name="displayName" label={t('displayName')}>
            <Input id="new-displayname" />
          </Form.Item>
          <Form.Item name="password" label={t('password')} rules={[{ required: true }]}>
            <Input.Password id="new-password" />
          </Form.Item>
          <Form.Item name="roles" label={t('roles')} rules={[{ required: true }]}>
            <Select mode="multiple" options={roleOptions} data-testid="new-roles" />
          </Form.Item>
          <Form.Item name="organizationId" label={t('organization')}>
            <Select showSearch optionFilterProp="label" options={orgOptions} allowClear />
          </Form.Item>
        </Form>
      </Modal>
    </Card>
  );
}
